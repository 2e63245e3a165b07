import pytest
from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from industry.models import (
    Action,
    ActionKind,
    Article,
    Company,
    Figure,
    Indicator,
    Paragraph,
    Place,
    Product,
    Section,
)

pytestmark = pytest.mark.django_db

NATURAL_KEY_MODELS = [
    Article,
    Section,
    Paragraph,
    Product,
    Indicator,
    Figure,
    ActionKind,
    Place,
    Company,
    Action,
]


@pytest.mark.parametrize("model", NATURAL_KEY_MODELS, ids=lambda m: m.__name__)
def test_every_record_is_found_by_its_natural_key(seed, model):
    for obj in model.objects.all():
        assert model.objects.get_by_natural_key(*obj.natural_key()) == obj


def test_fixture_round_trips_with_natural_keys(seed):
    data = serializers.serialize(
        "json",
        Figure.objects.all(),
        use_natural_foreign_keys=True,
        use_natural_primary_keys=True,
    )
    assert '"pk"' not in data
    assert '"paragraph": ["chlor-alkali-2019", "s2-1", 1]' in data.replace("\n", "")


def figure(**fields):
    paragraph = Paragraph.objects.get(section__anchor="s2-4")
    defaults = {
        "number": 90,
        "paragraph": paragraph,
        "sentence": paragraph.text,
        "product": Product.objects.get(slug="crude-salt"),
        "indicator": Indicator.objects.get(slug="output"),
        "year": 2019,
        "value_text": "1",
        "unit": "万吨",
    }
    return Figure(**{**defaults, **fields})


@pytest.mark.parametrize(
    "fields",
    [
        {"change_pct_text": "2"},  # an amount without a direction
        {"change_direction": "up"},  # a direction without an amount
        {"year": 1800},
        {"number": 0},
        {"number": 1},  # taken
    ],
)
def test_figure_constraints_hold_in_the_database(seed, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        figure(**fields).save()


def test_figure_save_derives_value_and_section(seed):
    new = figure(value_text="12.50")
    new.save()
    new.refresh_from_db()
    assert float(new.value) == 12.5
    assert new.section.anchor == "s2-4"
    assert new.printed_value == "12.50万吨"


def test_figure_clean_checks_the_sentence_and_the_printed_number(seed):
    with pytest.raises(ValidationError) as excinfo:
        figure(sentence="不在段落中。").full_clean()
    assert "sentence" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        figure(value_text="约120").full_clean()
    assert "value_text" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        figure(change_direction="up", change_pct_text="2", change_is_approximate=True).full_clean()
    assert "change_is_approximate" in excinfo.value.message_dict
    figure().full_clean()


def test_section_rules(seed):
    article = Article.objects.get(slug="carbide-industry-covid-19")
    with pytest.raises(IntegrityError), transaction.atomic():
        Section.objects.create(article=article, position=9, anchor="x", kind="heading")
    with pytest.raises(IntegrityError), transaction.atomic():
        Section.objects.create(article=article, position=1, anchor="y", heading="重复次序")
    other = Section.objects.get(anchor="s2")
    with pytest.raises(ValidationError):
        Section(
            article=article, position=9, anchor="z", heading="跨文章", parent=other
        ).full_clean()
    child = Section.objects.get(anchor="s2-1")
    with pytest.raises(ValidationError):
        Section(
            article=child.article, position=99, anchor="deep", heading="三级", parent=child
        ).full_clean()


def test_labels_tell_the_two_3s_apart_by_anchor_and_keep_the_printed_number(seed):
    first, second = Section.objects.filter(number="3、").order_by("position")
    # The source prints 3、 twice: a citation names the section by its heading too.
    assert first.number_repeated and second.number_repeated
    assert first.short_label == "二、3、“烧碱市场震荡下行，聚氯乙烯市场波动明显”"
    assert second.short_label == "二、3、“烧碱进口增加出口下降，PVC进出口量均减少”"
    assert Section.objects.get(anchor="s2-1").short_label == "二、1、"
    assert first.label == "二、3、烧碱市场震荡下行，聚氯乙烯市场波动明显"
    assert first.get_absolute_url().endswith("#s2-3")
    assert second.get_absolute_url().endswith("#s2-3b")
    paragraph = second.paragraphs.get(position=2)
    assert paragraph.get_absolute_url() == "/industry/articles/chlor-alkali-2019/#s2-3b-p2"


def test_action_constraints_and_clean(seed):
    action = Action.objects.get(company__slug="dadi", position=1)
    action.pk = None
    action.position = 9
    action.quantity_text = ""
    with pytest.raises(IntegrityError), transaction.atomic():
        action.save()
    action.quantity_text, action.as_of = "100", None
    action.as_of_text = "截至2月2日"
    with pytest.raises(IntegrityError), transaction.atomic():
        action.save()
    action.as_of_text = ""
    action.sentence = "别处的句子。"
    with pytest.raises(ValidationError):
        action.full_clean()


def test_deleting_knowledge_that_others_hang_on_is_refused(seed):
    with pytest.raises(ProtectedError):
        Section.objects.get(anchor="s2-1").delete()
    with pytest.raises(ProtectedError):
        Product.objects.get(slug="caustic-soda").delete()
    with pytest.raises(ProtectedError):
        ActionKind.objects.get(slug="cash-donation").delete()
    with pytest.raises(ProtectedError):
        Company.objects.get(slug="dadi").delete()


def test_totals_by_kind_leave_out_plans_and_bare_mentions(seed):
    totals = {
        (row.kind.slug, row.item, row.unit): (row.total, row.count, row.qualifier)
        for row in Action.objects.totals_by_kind()
    }
    assert totals == {
        ("cash-donation", "", "万元"): (100, 1, ""),
        ("disinfectant-donation", "次氯酸钠消毒液", "吨"): (200, 1, ""),
        ("disinfectant-donation", "消毒液原液", "吨"): (30, 1, "近"),
        ("production-switch", "生产线", "列"): (2, 1, ""),
        ("staff-deployed", "员工", "名"): (200, 1, "近"),
    }


def test_measure_related_name_reaches_the_actions(seed):
    from policies.models import Measure

    measure = Measure.objects.prefetch_related("industry_actions__company").get(number=4)
    assert sorted(a.company.slug for a in measure.industry_actions.all()) == [
        "beiyuan",
        "dadi",
        "jinyuyuan",
    ]
