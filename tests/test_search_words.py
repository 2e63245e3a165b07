"""Searches of several words, other names for the same thing, English, and what the results
page says when little is found (issue 12)."""

import html
import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytest_django.asserts import assertContains, assertNotContains

from core import find
from core.analysis import Search, Word, best_sentence, mark
from core.models import EquivalentTerms
from industry.models import Figure, Paragraph
from policies.models import Measure, Topic

pytestmark = pytest.mark.django_db

HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")


# What each kind of record is searched by, read from the records (not from the search code).


def measure_texts(m) -> list[str]:
    return [
        m.title,
        m.title_en,
        m.text,
        m.heading.title,
        m.heading.title_en,
        *(f"{t.name} {t.name_en}" for t in m.topics.all()),
        *(f"{t.name} {t.name_en}" for t in m.target_groups.all()),
        *(f"{t.name} {t.name_en}" for t in m.regions.all()),
    ]


def paragraph_texts(p) -> list[str]:
    return [p.section.printed_heading, p.text, p.section.article.title]


def figure_texts(f) -> list[str]:
    return [
        f.product.name,
        f.product.name_en,
        f.product.aliases,
        f.indicator.name,
        f.indicator.name_en,
        f.breakdown,
        f.sentence,
        f.period_text,
    ]


KINDS = {
    "measure": (
        lambda: Measure.objects.select_related("heading").prefetch_related(
            "topics", "target_groups", "regions"
        ),
        measure_texts,
    ),
    "paragraph": (lambda: Paragraph.objects.select_related("section__article"), paragraph_texts),
    "figure": (lambda: Figure.objects.select_related("product", "indicator"), figure_texts),
}


def holds(text: str, word: str) -> bool:
    """A word is in a text: Chinese as a substring, a Latin word or number as a whole word."""
    if HAN_RUN.fullmatch(word):
        return word in text
    return bool(re.search(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", text, re.I))


def expected(kind: str, words: list[str]) -> set[int]:
    records, texts = KINDS[kind]
    return {r.pk for r in records() if all(any(holds(t, w) for t in texts(r)) for w in words)}


def found(kind: str, text: str) -> set[int]:
    records, _texts = KINDS[kind]
    return set(records().model.objects.matching(text).values_list("pk", flat=True))


def sample_words(rng: random.Random, kind: str, count: int) -> list[list[str]]:
    """Pairs and triples of words: half from one record (so that many are found), half
    from anywhere (so that many are not)."""
    records, texts = KINDS[kind]
    per_record = [
        [
            run[i : i + n]
            for text in texts(r)
            for run in HAN_RUN.findall(text)
            for n in (2, 3, 4)
            for i in range(len(run) - n + 1)
        ]
        for r in records()
    ]
    everything = [word for words in per_record for word in words]
    samples = []
    for index in range(count):
        size = 2 if index % 3 else 3
        pool = rng.choice(per_record) if index % 2 else everything
        samples.append(rng.sample(pool, size))
    return samples


@pytest.mark.parametrize("kind", ["measure", "paragraph", "figure"])
def test_several_words_find_exactly_the_records_holding_every_word(seed, kind):
    rng = random.Random(12)
    samples = sample_words(rng, kind, 150)
    samples += [["2019", "PVC"], ["烧碱", "表观消费量"], ["聚氯乙烯", "产能"], ["中小企业", "贷款"]]
    hits = 0
    for words in samples:
        assert found(kind, " ".join(words)) == expected(kind, words), words
        # Order does not matter.
        assert found(kind, " ".join(reversed(words))) == expected(kind, words), words
        hits += bool(expected(kind, words))
    assert hits > 40  # the sample finds records, not only nothing


@pytest.mark.parametrize(
    ("query", "kind", "expected_numbers"),
    [
        ("烧碱 表观消费量", "figure", {4, 5}),
        ("中小企业 贷款", "measure", {5, 8}),
        ("租金", "measure", {6, 16}),
        ("房租", "measure", {6, 16}),  # 租金, under another name
        ("社保", "measure", {6}),  # 社会保险费
        ("rent", "measure", {6, 16}),
        ("Hubei", "measure", {5}),
        ("SMEs 贷款", "measure", {5, 8}),
    ],
)
def test_the_queries_people_type(seed, query, kind, expected_numbers):
    model = {"figure": Figure, "measure": Measure}[kind]
    numbers = set(model.objects.matching(find.parse(query)).values_list("number", flat=True))
    assert expected_numbers <= numbers
    if kind == "measure":
        assert numbers == expected_numbers


@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize(
    ("query", "group", "shown"),
    [
        ("烧碱 表观消费量", "figure", "3326"),
        ("聚氯乙烯 产能", "figure", "2518"),
        ("中小企业 贷款", "measure", "加大信贷支持力度"),
        ("2019 PVC", "paragraph", "PVC"),
        ("房租", "measure", "租金"),
        ("社保", "measure", "社会保险"),
        ("rent", "measure", "租金"),
        ("Hubei", "measure", "湖北"),
        ("donation", "action", "陕西北元化工"),
        ("caustic soda", "paragraph", "烧碱"),
    ],
)
def test_the_queries_find_what_they_should_in_both_languages(
    client, seed, prefix, query, group, shown
):
    response = client.get(f"{prefix}/search/", {"q": query})
    assert response.status_code == 200
    groups = {g.kind.key: g for g in response.context["groups"]}
    assert group in groups, query
    assertContains(response, shown)
    # The hit leads to its record, whose page shows the Chinese source text (marked as
    # Chinese on English pages).
    page = client.get(groups[group].hits[0].get_absolute_url())
    assertContains(page, 'lang="zh-Hans"')


def test_other_names_are_said_and_the_word_alone_is_one_click_away(client, seed):
    response = client.get("/search/", {"q": "房租"})
    assertContains(response, "同时搜索了编者所列的其他说法")
    assertContains(response, "租金")
    only = response.context["search"].expanded
    assert only == [("房租", ("租金", "rent"))]
    assertContains(response, "只搜“房租”")
    alone = client.get("/search/", {"q": '"房租"'})
    assert alone.context["groups"] == []  # the source never says 房租
    assertNotContains(alone, "同时搜索了")


def test_editing_the_list_of_other_names_changes_results_at_once(client, seed):
    """No cache outlives an edit: the list and the results cached from it."""
    assert client.get("/search/", {"q": "房租"}).context["groups"]
    listed = client.get("/policies/measures/", {"q": "房租"})
    assert listed.context["page"].paginator.count == 2
    EquivalentTerms.objects.get(terms__startswith="房租").delete()
    assert client.get("/search/", {"q": "房租"}).context["groups"] == []
    assert client.get("/policies/measures/", {"q": "房租"}).context["page"].paginator.count == 0
    EquivalentTerms.objects.create(terms="房租 = 租金")
    assert client.get("/policies/measures/", {"q": "房租"}).context["page"].paginator.count == 2


def test_a_term_of_several_words_is_one_word(seed):
    search = find.parse("caustic soda 2019")
    assert [w.text for w in search.words] == ["caustic soda", "2019"]
    assert search.words[0].alternatives == ("烧碱",)


def test_quotes_ask_for_an_exact_phrase(seed):
    assert Measure.objects.matching(find.parse("中小企业 贷款")).count() == 2
    # Next to each other as typed: the source never writes 中小企业贷款.
    assert not Measure.objects.matching(find.parse("“中小企业贷款”")).exists()
    assert not Measure.objects.matching(find.parse('"中小企业 贷款"')).exists()
    assert set(
        Measure.objects.matching(find.parse('"信贷支持"')).values_list("number", flat=True)
    ) == {8}


def test_words_that_stand_together_or_in_the_title_rank_first(client, make_measures):
    apart, together, title = make_measures(3)
    apart.text = "融资渠道多样。各项担保费率降低。"
    together.text = "加强融资担保服务。"
    title.title = "担保与融资"
    for measure in (apart, together, title):
        measure.save()
    response = client.get("/search/", {"q": "融资 担保", "kind": "measure"})
    assert [m.pk for m in response.context["results"].hits] == [title.pk, together.pk, apart.pk]


def test_when_nothing_is_found_each_word_says_what_it_finds_alone(client, seed):
    response = client.get("/search/", {"q": "租金 鹦鹉螺"})
    assert response.context["groups"] == []
    assertContains(response, "没有找到含有“租金 鹦鹉螺”的记录")
    counts = {w.text: w for w in response.context["word_counts"]}
    assert counts["租金"].count.number == 2
    assert not counts["鹦鹉螺"].count
    assertContains(response, "去掉“鹦鹉螺”再搜")
    # One click: the link searches for the other words.
    link = re.search(r'href="([^"]*)">去掉“鹦鹉螺”再搜', response.content.decode()).group(1)
    again = client.get(html.unescape(link))
    assert [g.kind.key for g in again.context["groups"]] == ["measure"]
    # Two words that each find something, but never together.
    response = client.get("/search/", {"q": "租金 担保"})
    assert response.context["groups"] == []
    assert all(w.count for w in response.context["word_counts"])
    assertContains(response, "去掉“担保”再搜")
    assertContains(response, "去掉“租金”再搜")


def test_counts_per_group_are_capped(client, make_measures, monkeypatch):
    for measure in make_measures(12):
        measure.text = "关于融资担保的条文。"
        measure.save()
    monkeypatch.setattr("core.search.COUNT_CAP", 10)
    response = client.get("/search/", {"q": "融资担保"})
    assertContains(response, "支持措施 · 10+ 条")


def test_a_hit_shows_the_sentence_where_its_words_are(client, seed):
    response = client.get("/policies/measures/", {"q": "租金"})
    body = response.content.decode()
    assert body.count("<mark>租金</mark>") >= 2
    response = client.get("/search/", {"q": "社保", "kind": "measure"})
    assertContains(response, "<mark>社会保险</mark>费", html=False)
    # The measure starts with other words: the sentence, not the opening, is shown.
    measure = Measure.objects.get(number=16)
    assert not measure.text.startswith("租金")
    assert "<mark>租金</mark>" in best_sentence(measure.text, Search.parse("租金"))


def test_the_search_text_follows_the_names_it_includes(seed):
    measure = Measure.objects.get(number=8)
    assert not Measure.objects.matching("鹦鹉螺").exists()
    topic = Topic.objects.create(slug="parrot", name="鹦鹉螺", name_en="Nautilus")
    measure.topics.add(topic)
    assert list(Measure.objects.matching("鹦鹉螺")) == [measure]
    assert list(Measure.objects.matching("nautilus")) == [measure]
    topic.name = "海螺"
    topic.save()
    assert not Measure.objects.matching("鹦鹉螺").exists()
    assert list(Measure.objects.matching("海螺")) == [measure]
    topic.measures.clear()
    assert not Measure.objects.matching("海螺").exists()
    measure.topics.add(topic)
    measure.topics.remove(topic)
    assert not Measure.objects.matching("海螺").exists()
    heading = measure.heading
    heading.title = heading.title + "鹦鹉螺"
    heading.save()
    assert measure in Measure.objects.matching("鹦鹉螺")


def test_english_words_match_singular_and_plural(seed):
    assert set(Measure.objects.matching("rents").values_list("number", flat=True)) == set(
        Measure.objects.matching("rent").values_list("number", flat=True)
    )
    assert Measure.objects.matching("enterprise").exists()  # titles say "enterprises"


words_text = st.lists(
    st.sampled_from(list("租金担保<>&\"'；。 abAB12") + ["<b>", "</mark>", "&amp;", "<mark>"]),
    max_size=20,
).map("".join)


@given(text=words_text, query=words_text)
def test_marking_never_breaks_escaping(text, query):
    search = Search((Word(query),)) if Search.parse(query) else Search.parse(query)
    for output in (best_sentence(text, search), mark(text, [query], 200)):
        without_marks = str(output).replace("<mark>", "").replace("</mark>", "")
        assert "<" not in without_marks and ">" not in without_marks
        assert html.unescape(without_marks).replace("…", "") in text
