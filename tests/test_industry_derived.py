"""Derived figures and the tolerance rule, on known cases (industry/derived.py), and their
words (the derivation template tag)."""

from decimal import Decimal

import pytest
from django.utils import translation

from industry import derived as d
from industry.models import Figure, Indicator, Paragraph, Product, Section
from industry.templatetags.industry_text import WORDS, derivation, fmt

D = Decimal


@pytest.fixture(autouse=True)
def _chinese():
    """Derivations are put into words in the active language, and a test client request to
    an English page leaves English active in the thread; these tests read the Chinese."""
    with translation.override("zh-hans"):
        yield


def close(value: Decimal, expected: str, places: int = 2) -> bool:
    return round(value, places) == D(expected)


def words(analysis: d.Analysis, derived: d.Derivation, part: str) -> str:
    return derivation(derived, part, analysis.by_number)


@pytest.mark.parametrize(
    ("text", "approximate", "lo", "hi"),
    [
        ("4380", False, "4379.5", "4380.5"),
        ("6.1", False, "6.05", "6.15"),
        ("6270.8", False, "6270.75", "6270.85"),
        ("23", False, "22.5", "23.5"),
        ("120", False, "119.5", "120.5"),
        ("120", True, "115", "125"),
        ("40", True, "35", "45"),
        ("100", True, "50", "150"),
        ("2.5", True, "2.45", "2.55"),
    ],
)
def test_printed_interval(text, approximate, lo, hi):
    assert d.printed_interval(text, approximate=approximate) == d.Interval(D(lo), D(hi))


def test_a_flat_five_percent_would_put_the_pvc_case_on_its_boundary():
    """Why the rule rounds 约 to its last significant digit instead of allowing ±5%."""
    assert D(120) * D("0.95") == D(114)
    about_120 = d.printed_interval("120", approximate=True)
    assert not about_120.overlaps(d.printed_interval("114"))
    assert about_120.overlaps(d.printed_interval("121"))


def test_intervals_overlap_inclusively():
    assert d.Interval(D(1), D(2)).overlaps(d.Interval(D(2), D(3)))
    assert not d.Interval(D(1), D(2)).overlaps(d.Interval(D("2.01"), D(3)))
    assert d.Interval(D(1), D(2)).signed(-1) == d.Interval(D(-2), D(-1))


def test_formulas_on_the_articles_numbers():
    assert close(d.utilisation(D(3464), D(4380)), "79.09")
    assert close(d.utilisation(D(2011), D(2518)), "79.86")
    assert d.apparent_consumption(D(3464), D("6.1"), D(114)) == D("3356.1")
    assert d.apparent_consumption(D(2011), D("66.5"), D("50.7")) == D("2026.8")
    assert close(d.average(D(4380), D(161)), "27.20")
    assert close(d.average(D(2518), D(73)), "34.49")
    assert close(d.previous_from_pct(D(114), D(-23)), "148.05")
    assert close(d.previous_from_pct(D("6270.8"), D("4.3")), "6012.27")
    assert d.previous_from_abs(D(2518), D(114)) == D(2404)
    assert close(d.pct_from_abs(D(4380), D(121)), "2.84")
    assert close(d.pct_from_abs(D(2518), D(114)), "4.74")
    assert close(d.pct_from_abs(D(100), D(-20)), "-16.67")
    assert close(d.abs_from_pct(D(3464), D("0.5")), "17.23")
    assert close(d.abs_from_pct(D(114), D(-23)), "-34.05")
    assert close(d.pct_change(D(22), D(27)), "22.73")
    assert close(d.share_of(D(2518), D("81.3")), "2047.13")


def test_span_takes_the_extremes_of_a_monotonic_formula():
    out = d.span(d.utilisation, d.printed_interval("2011"), d.printed_interval("2518"))
    assert close(out.lo, "79.83") and close(out.hi, "79.90")
    assert out.overlaps(d.printed_interval("80"))


def test_fmt():
    assert fmt(D("3356.10")) == "3356.1"
    assert fmt(D("4259.0")) == "4259"
    assert fmt(D("79.0867"), 2) == "79.09"
    assert fmt(D("-34.05"), 1) == "−34.1"
    assert fmt(D("-0.04"), 1) == "0"


class Build:
    """Unsaved figures, enough for derived.Analysis to work without a database."""

    def __init__(self):
        self.products = {}
        self.section = Section(number="一、", heading="测试")
        self.paragraph = Paragraph(section=self.section, position=1, text="")
        self.number = 0

    def product(self, slug, parent=None):
        if slug not in self.products:
            self.products[slug] = Product(
                pk=len(self.products) + 1,
                slug=slug,
                name=slug,
                parent_id=parent.pk if parent else None,
            )
        return self.products[slug]

    def __call__(self, product, indicator, value_text, **fields):
        self.number += 1
        figure = Figure(
            number=self.number,
            paragraph=self.paragraph,
            section=self.section,
            product=product if isinstance(product, Product) else self.product(product),
            indicator=Indicator(slug=indicator, name=indicator),
            year=fields.pop("year", 2019),
            value_text=value_text,
            value=D(value_text),
            unit=fields.pop("unit", "万吨"),
            **fields,
        )
        return figure


def test_caustic_soda_capacity_increase_about_120_against_121_agrees():
    fig = Build()
    about = fig("caustic", d.NET_ADDED, "120", is_approximate=True)
    stated = fig("caustic", d.NET_ADDED, "121")
    analysis = d.Analysis([about, stated])
    (check,) = analysis.checks
    assert check.check == "restated" and check.agrees is True
    assert analysis.disagreements == []


def test_pvc_capacity_increase_about_120_against_114_disagrees():
    fig = Build()
    about = fig("pvc", d.NET_ADDED, "120", is_approximate=True)
    stated = fig("pvc", d.NET_ADDED, "114")
    analysis = d.Analysis([about, stated])
    (check,) = analysis.disagreements
    assert check.check == "restated"
    assert check.numbers == [about.number, stated.number]
    assert analysis.flagged_numbers == {about.number, stated.number}
    assert check in analysis.for_figure(about)


def test_an_absolute_change_is_checked_against_a_percent_change():
    fig = Build()
    abs_row = fig(
        "caustic",
        d.OUTPUT,
        "3464",
        change_direction="up",
        change_abs_text="40",
        change_is_approximate=True,
        change_as_printed="增长约40万吨",
    )
    pct_row = fig(
        "caustic",
        d.OUTPUT,
        "3464",
        change_direction="up",
        change_pct_text="0.5",
        change_as_printed="同比增加0.5%",
    )
    analysis = d.Analysis([abs_row, pct_row])
    (change,) = [c for c in analysis.checks if c.check == "change"]
    assert change.agrees is False
    assert close(change.value, "1.17")
    assert change.subject == pct_row.number
    assert abs_row.number in {number for _role, number, _aspect in change.inputs}
    # 约17万吨 would have agreed with 0.5%.
    abs_row.change_abs_text = "17"
    analysis = d.Analysis([abs_row, pct_row])
    assert [c.agrees for c in analysis.checks if c.check == "change"] == [True]


def test_a_change_stated_twice_in_one_form_is_compared_as_printed():
    fig = Build()
    fields = {
        "change_direction": "up",
        "change_pct_text": "2.2",
        "change_as_printed": "同比增加2.2%",
    }
    first = fig("pvc", d.OUTPUT, "2011", **fields)
    second = fig(
        "pvc",
        d.OUTPUT,
        "2011",
        **fields | {"change_pct_text": "2.5", "change_as_printed": "同比增长2.5%"},
    )
    analysis = d.Analysis([first, second])
    (change,) = [c for c in analysis.checks if c.check == "change"]
    assert change.agrees is False and change.unit == "%" and change.stated_text == "同比增长2.5%"
    assert words(analysis, change, "formula") == "同比增加2.2%（一、）与 同比增长2.5%（一、）"
    with translation.override("en"):
        assert words(analysis, change, "formula") == (
            '+2.2% in section <span lang="zh-Hans">一、</span> and '
            '+2.5% in section <span lang="zh-Hans">一、</span>'
        )


def test_every_rule_has_its_words():
    assert WORDS.keys() == d.RULES.keys()


def test_utilisation_consumption_and_average_checks():
    fig = Build()
    figures = [
        fig("pvc", d.ENTERPRISES, "73", unit="家"),
        fig("pvc", d.CAPACITY, "2518"),
        fig("pvc", d.OUTPUT, "2011"),
        fig("pvc", d.CONSUMPTION, "2027"),
        fig("pvc", d.OPERATING_RATE, "80", unit="%"),
        fig("pvc", d.AVERAGE_CAPACITY, "34"),
        fig(fig.product("powder", parent=fig.product("pvc")), d.IMPORTS, "66.5"),
        fig(fig.product("powder"), d.EXPORTS, "50.7"),
    ]
    analysis = d.Analysis(figures)
    checks = {c.check: c for c in analysis.checks}
    assert set(checks) == {"utilisation", "consumption", "average"}
    assert all(c.agrees for c in checks.values())
    assert checks["consumption"].value == D("2026.8")
    assert "powder" in words(analysis, checks["consumption"], "formula")
    # A consumption far from output + imports - exports is flagged.
    figures[3].value_text, figures[3].value = "1990", D(1990)
    assert [c.check for c in d.Analysis(figures).disagreements] == ["consumption"]


def test_parts_against_their_total_and_shares_against_100():
    fig = Build()
    total = fig("caustic", d.EXPORTS, "114", change_direction="down", change_pct_text="23")
    solid = fig(
        fig.product("solid", parent=total.product),
        d.EXPORTS,
        "58",
        change_direction="down",
        change_pct_text="6.5",
    )
    liquid = fig(
        fig.product("liquid", parent=total.product),
        d.EXPORTS,
        "56",
        change_direction="down",
        change_pct_text="34.3",
    )
    carbide = fig("pvc", d.ROUTE_SHARE, "81.3", unit="%", breakdown="电石法")
    ethylene = fig("pvc", d.ROUTE_SHARE, "18.7", unit="%", breakdown="乙烯法")
    analysis = d.Analysis([total, solid, liquid, carbide, ethylene])
    checks = {c.check: c for c in analysis.checks}
    assert checks["parts"].value == D(114) and checks["parts"].agrees
    assert checks["parts-previous"].agrees
    assert checks["shares"].value == D(100) and checks["shares"].agrees
    liquid.value_text, liquid.value = "60", D(60)
    assert "parts" in {c.check for c in d.Analysis([total, solid, liquid]).disagreements}


def test_implied_previous_year_and_changes_are_shown_beside_the_figure():
    fig = Build()
    exports = fig("caustic", d.EXPORTS, "114", change_direction="down", change_pct_text="23")
    output = fig("pvc", d.OUTPUT, "2011", change_direction="up", change_abs_text="140")
    analysis = d.Analysis([exports, output])
    previous = analysis.derived(exports, "previous")
    assert words(analysis, previous, "value") == "148.1万吨" and not previous.is_check
    assert words(analysis, previous, "formula") == "114 ÷ (1 − 23%)"
    assert close(analysis.derived(exports, "abs-from-pct").value, "-34.05")
    assert analysis.derived(output, "previous").value == D(1871)
    assert close(analysis.derived(output, "pct-from-abs").value, "7.48")


def test_average_capacity_growth_and_route_capacity():
    fig = Build()
    old = fig("caustic", d.AVERAGE_CAPACITY, "22", year=2013)
    new = fig("caustic", d.AVERAGE_CAPACITY, "27")
    capacity = fig("pvc", d.CAPACITY, "2518")
    share = fig("pvc", d.ROUTE_SHARE, "81.3", unit="%", breakdown="电石法")
    analysis = d.Analysis([old, new, capacity, share])
    assert close(analysis.derived(new, "growth").value, "22.73")
    assert words(analysis, analysis.derived(share, "route-capacity"), "value") == "2047.1万吨"


@pytest.mark.django_db
def test_the_seed_data_has_exactly_these_disagreements(seed):
    analysis = d.Analysis(Figure.objects.with_context())
    subject = analysis.by_number
    found = sorted(
        (c.check, subject[c.subject].product.slug, subject[c.subject].indicator.slug)
        for c in analysis.disagreements
    )
    assert found == [
        ("change", "caustic-soda", "output"),
        ("change", "pvc", "capacity"),
        ("change", "pvc", "output"),
        ("consumption", "caustic-soda", "apparent-consumption"),
        ("restated", "pvc", "capacity-net-added"),
    ]
    restated = {
        (subject[c.subject].product.slug, c.agrees)
        for c in analysis.checks
        if c.check == "restated" and subject[c.subject].indicator.slug == d.NET_ADDED
    }
    assert restated == {("caustic-soda", True), ("pvc", False)}
    assert all(c.agrees for c in analysis.checks if c.check == "utilisation")
    assert len(analysis.checks) == 23


def test_a_degenerate_figure_is_left_out_of_the_derivations_not_a_crash(seed, client):
    """An editor may enter figures that make a formula divide by zero."""
    from industry.derived import Analysis
    from industry.models import Figure

    added = Figure.objects.get(
        product__slug="pvc", indicator__slug="capacity-net-added", value_text="114"
    )
    capacity = Figure.objects.get(
        product__slug="pvc", indicator__slug="capacity", value_text="2518", section=added.section
    )
    capacity.value_text = "114"
    capacity.save()
    analysis = Analysis(Figure.objects.with_context())
    numbers = [n for d in analysis.derivations for n in (d.value, d.interval.lo, d.interval.hi)]
    assert numbers and all(n.is_finite() for n in numbers)
    assert client.get(added.get_absolute_url()).status_code == 200
    assert client.get("/industry/products/pvc/").status_code == 200
    assert client.get("/industry/data-notes/").status_code == 200
