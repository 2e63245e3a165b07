"""The industry pages say what they assume and mark what the editors add (issue 14)."""

import importlib
import json
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import strip_tags

from industry.derived import Analysis
from industry.models import Action, ActionQuantity, Figure, Section, Total

pytestmark = pytest.mark.django_db

PREFIXES = ("", "/en")


def text_of(response) -> str:
    return re.sub(r"\s+", " ", strip_tags(response.content.decode()))


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def analysis() -> Analysis:
    return Analysis(Figure.objects.with_context())


# --- inline editorial additions -------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_the_year_added_after_mu_qian_is_marked_as_the_editors(client, seed, prefix):
    for number in (1, 20):  # 目前, 当前
        html = client.get(f"{prefix}/industry/figures/{number}/").content.decode()
        assert re.search(
            # English pages give the period in the editors' English (issue 16).
            r'(<span lang="zh-Hans">(目前|当前)</span>|<span class="editorial-name">now</span>) '
            r'<span class="editorial-addition" title="[^"]+">\s?[（(]2019[）)]</span>',
            html,
        ), number
        assert (
            'class="editorial-flag">' + ("编者补" if not prefix else "editors&#x27; addition")
            in html
        )


def test_a_year_the_source_prints_gets_no_editorial_mark(client, seed):
    html = client.get("/industry/figures/2/").content.decode()  # 2019年底
    assert "editorial-addition" not in html


@pytest.mark.parametrize("prefix", PREFIXES)
def test_the_year_of_jie_zhi_2_yue_2_ri_is_marked_as_the_editors(client, seed, prefix):
    html = client.get(f"{prefix}/industry/companies/jinyuyuan/").content.decode()
    found = re.search(
        r'<span lang="zh-Hans">截至2月2日</span> <span class="editorial-addition" title="([^"]+)">'
        r'\s?[（(]<time datetime="2020-02-02">2020-02-02</time>[）)]</span> <span class="editorial-flag">',
        html,
    )
    assert found
    assert "2020" in found.group(1)


def test_exports_say_which_years_are_the_editors(client, seed):
    rows = json.loads(body(client.get(reverse("industry:figure-export-json"))))["rows"]
    editorial = {row["number"] for row in rows if row["year_is_editorial"]}
    assert {1, 20, 22} <= editorial and 2 not in editorial
    rows = json.loads(body(client.get(reverse("industry:action-export-json"))))["rows"]
    dated = [row for row in rows if row["as_of"]]
    assert dated and all(row["as_of_year_is_editorial"] for row in dated)
    assert not any(row["as_of_year_is_editorial"] for row in rows if not row["as_of"])


# --- the route chart -------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_route_chart_is_titled_as_the_source_says(client, seed, prefix):
    html = client.get(f"{prefix}/industry/products/pvc/").content.decode()
    assert "产能的工艺路线构成" not in html
    assert ("工艺路线比重（2019年）" if not prefix else "process-route shares (2019)") in html
    # The capacity worked out from a share says it assumes the share is of capacity.
    assert ("若比重按产能计" if not prefix else "if the share is of capacity") in html


# --- the operating rate ---------------------------------------------------------------------


def test_utilisation_check_says_it_uses_year_end_capacity(client, seed):
    text = text_of(client.get("/industry/figures/25/"))
    assert "产量 ÷ 年底产能" in text and "文章未定义开工率，编者按年底产能计" in text
    text = text_of(client.get("/en/industry/figures/25/"))
    assert "year-end capacity" in text and "does not define the operating rate" in text


def test_utilisation_on_the_mean_of_two_years_is_shown_beside_it_not_checked(client, seed):
    found = {(d.rule, d.subject): d for d in analysis().derivations}
    year_end = found[("utilisation", 25)]
    mean = found[("utilisation-average", 25)]
    assert year_end.is_check and year_end.agrees
    assert not mean.is_check  # the article does not define 开工率: another reading, not a check
    # 3464 ÷ ((4260 + 4380) ÷ 2): the year before's capacity is 4380 less its net addition.
    assert round(mean.value, 2) == Decimal("80.19")
    assert round(found[("utilisation-average", 26)].value, 2) == Decimal("81.81")
    text = text_of(client.get("/industry/figures/25/"))
    assert "若按两年年底产能的平均计" in text and "80.19%" in text


# --- totals --------------------------------------------------------------------------------


def part(qualifier: str, quantity: int) -> Action:
    return Action(quantity_qualifier=qualifier, quantity_text=str(quantity), quantity=quantity)


@pytest.mark.parametrize(
    "parts, printed",
    [
        ([("近", 30), ("近", 20)], "近50吨"),
        ([("近", 30), ("", 40)], "近70吨"),
        ([("约", 30), ("近", 40)], "约70吨"),
        ([("首批", 200), ("", 30)], "230吨"),
        ([("近", 30)], "近30吨"),
    ],
)
def test_a_total_keeps_the_sources_qualifier(parts, printed):
    total = Total(kind=None, item="消毒液", unit="吨", parts=[part(q, n) for q, n in parts])
    assert total.printed == printed


def test_only_like_items_are_added_up(seed):
    totals = Action.objects.totals_by_kind()
    keys = [(t.kind.slug, t.item, t.unit) for t in totals]
    assert len(keys) == len(set(keys))
    for total in totals:
        assert {(a.kind_id, a.item, a.unit) for a in total.parts} == {
            (total.kind.pk, total.item, total.unit)
        }
    # Another 10吨 of 消毒液原液 from another company is added to 金昱元's, keeping 近.
    other = Action.objects.get(company__slug="beiyuan", position=3)
    other.pk, other.position = None, 9
    other.item, other.quantity_qualifier, other.quantity_text, other.quantity = (
        "消毒液原液",
        "",
        "10",
        10,
    )
    other.save()
    total = next(t for t in Action.objects.totals_by_kind() if t.item == "消毒液原液")
    assert total.printed == "近40吨" and total.count == 2


# --- structured quantities ----------------------------------------------------------------


def test_quantities_only_in_the_text_are_structured(seed):
    rows = {
        (q.action.company.slug, q.action.position): q
        for q in ActionQuantity.objects.select_related("action__company")
    }
    recipients = rows[("jinyuyuan", 3)]
    assert (recipients.quantity, recipients.unit) == (29, "个")
    assert recipients.counted == "行政单位、乡镇、企业、医药企业"
    areas = rows[("jinyuyuan", 2)]
    assert (areas.quantity, areas.named) == (2, ["青铜峡", "固原"])
    shifts = rows[("dadi", 2)]
    assert (shifts.quantity, shifts.unit, shifts.counted) == (24, "小时", "轮流值班")
    for q in rows.values():
        q.full_clean()  # verbatim: the phrase is in the sentence, the number in the phrase
        assert q.phrase in q.action.sentence


def test_a_quantity_must_be_quoted_and_consistent(seed):
    areas = ActionQuantity.objects.get(action__company__slug="jinyuyuan", action__position=2)
    areas.names = "青铜峡、固原、吴忠"
    with pytest.raises(ValidationError) as raised:
        areas.full_clean()
    assert "names" in raised.value.message_dict
    areas.names, areas.phrase = "青铜峡、固原", "三个生产片区"
    with pytest.raises(ValidationError) as raised:
        areas.full_clean()
    assert "phrase" in raised.value.message_dict


def test_structured_quantities_are_shown_and_exported(client, seed):
    html = client.get("/industry/companies/jinyuyuan/").content.decode()
    assert "29个行政单位、乡镇、企业、医药企业" in html
    assert re.search(r"数量：.*?两个.*?生产片区.*?青铜峡.*?固原", html, re.S)
    rows = json.loads(body(client.get(reverse("industry:action-export-json"))))["rows"]
    quantities = [q for row in rows for q in row["other_quantities"]]
    assert {
        "phrase": "24小时轮流值班",
        "counted": "轮流值班",
        "quantity": 24,  # a number, as printed (issue 16)
        "as_printed": "24小时",
        "names": [],
    } in quantities
    assert len(quantities) == 3


def test_the_migration_adds_the_same_quantities_as_the_fixture():
    migration = importlib.import_module(
        "industry.migrations.0007_action_quantities_and_repeated_numbers"
    )
    records = json.loads((settings.BASE_DIR / "fixtures" / "industry.json").read_text("utf-8"))
    fixture = {
        (tuple(r["fields"]["action"]), r["fields"]["phrase"])
        for r in records
        if r["model"] == "industry.actionquantity"
    }
    assert fixture == {
        (key, row["phrase"]) for key, rows in migration.SEED_QUANTITIES.items() for row in rows
    }


# --- every check a figure feeds; the paragraph's source ------------------------------------


def test_every_figure_page_lists_every_derivation_it_takes_part_in(seed):
    found = analysis()
    for figure in found.figures:
        listed = found.for_figure(figure) + found.fed_by(figure)
        involved = [d for d in found.derivations if figure.number in d.numbers]
        assert sorted(map(id, involved)) == sorted(map(id, listed)), figure.number


def test_figure_2_lists_the_checks_it_feeds(client, seed):
    text = text_of(client.get("/industry/figures/2/"))
    assert "没有可推算或核对的内容" not in text
    assert "这个数字还用于以下推算与核对" in text
    assert "烧碱产能利用率（产量 ÷ 年底产能），对照所述开工率" in text
    assert "烧碱企业平均产能" in text and "烧碱年底产能：两处所述" in text
    text = text_of(client.get("/en/industry/figures/2/"))
    assert "also used in these derivations and checks" in text


@pytest.mark.parametrize("number, opener", [(25, 23), (26, 23), (34, 33)])
def test_a_figure_after_a_paragraphs_stated_source_says_why_it_is_not_recorded(
    client, seed, number, opener
):
    figure = Figure.objects.get(number=number)
    assert not figure.basis
    html = client.get(f"/industry/figures/{number}/").content.decode()
    assert "本段开头一句注明“据" in html and "国统局" in html
    assert f'href="/industry/figures/{opener}/"' in html
    text = text_of(client.get(f"/en/industry/figures/{number}/"))
    assert "does not say that this sentence is from" in text


def test_no_basis_note_where_the_paragraph_states_no_source(client, seed):
    assert "本段开头一句注明" not in client.get("/industry/figures/4/").content.decode()
    assert "本段开头一句注明" not in client.get("/industry/figures/23/").content.decode()


# --- citations name one section -------------------------------------------------------------


def test_figure_citations_name_one_section(client, seed):
    labels = {}
    for section in Section.objects.select_related("parent"):
        labels.setdefault(section.short_label, set()).add(section.pk)
    assert all(len(pks) == 1 for pks in labels.values()), labels
    html = client.get("/industry/figures/27/").content.decode()
    citation = re.search(r'<section class="citation".*?</section>', html, re.S).group(0)
    assert "二、3、“烧碱进口增加出口下降，PVC进出口量均减少”" in citation
    rows = json.loads(body(client.get(reverse("industry:figure-export-json"))))["rows"]
    sections = {row["number"]: row["section"] for row in rows}
    assert sections[27] != sections[23] and "烧碱进口增加" in sections[27]
