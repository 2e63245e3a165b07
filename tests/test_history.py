"""Edits are never lost: history with diffs and revert, optimistic locking, recovery."""

import random

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pytest_django.asserts import assertContains
from reversion.models import Version

from core.admin import DIFF_MAX_CHARS, text_diff
from policies.models import Heading, Measure, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins(seed):
    """Two admins, each in a browser session of their own."""
    clients = []
    for name in ["alice", "bob"]:
        user = get_user_model().objects.create_superuser(name, password="a-long-passphrase-1")
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def form_data(client, url) -> dict:
    """What the browser would send back for the change form as it was opened."""
    response = client.get(url)
    data = {}
    forms = [response.context["adminform"].form]
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
        data[management.add_prefix("TOTAL_FORMS")] = len(formset.formset.forms)
        forms.extend(formset.formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if hasattr(value, "pk"):
                value = value.pk
            if (
                isinstance(value, list | tuple)
                or hasattr(value, "__iter__")
                and not isinstance(value, str)
            ):
                value = [getattr(v, "pk", v) for v in value]
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = value
    return data


def test_seed_data_has_a_baseline_version(seed):
    measure = Measure.objects.get(number=8)
    versions = Version.objects.get_for_object(measure)
    assert versions.count() == 1
    assert "初始版本" in versions.get().revision.comment


def test_an_edit_is_recorded_with_who_and_a_readable_diff(admins):
    alice, _ = admins
    measure = Measure.objects.get(number=8)
    data = form_data(alice, change_url(measure))
    data["text"] = measure.text.replace("适当下调贷款利率", "大幅下调贷款利率")
    assert alice.post(change_url(measure), data).status_code == 302

    versions = Version.objects.get_for_object(measure)
    assert versions.count() == 2
    assert versions.first().revision.user.username == "alice"
    history = alice.get(reverse("admin:policies_measure_history", args=[measure.pk]))
    assertContains(history, "alice")
    assertContains(history, "<del>适当</del>", html=False)
    assertContains(history, "<ins>大幅</ins>", html=False)
    assertContains(history, "正文")


def test_an_edit_can_be_reverted_from_history(admins, client):
    alice, _ = admins
    measure = Measure.objects.get(number=8)
    original = measure.text
    data = form_data(alice, change_url(measure))
    # Prepended: the classifications' evidence must stay in the text (see test_evidence).
    data["text"] = "被误改的正文。" + original
    alice.post(change_url(measure), data)
    assert Measure.objects.get(pk=measure.pk).text == "被误改的正文。" + original

    baseline = Version.objects.get_for_object(measure).last()
    revision_url = reverse("admin:policies_measure_revision", args=[measure.pk, baseline.pk])
    response = alice.get(revision_url)
    assert response.status_code == 200
    assert alice.post(revision_url, form_data(alice, revision_url)).status_code == 302

    assert Measure.objects.get(pk=measure.pk).text == original
    assertContains(client.get(measure.get_absolute_url()), original)


def test_the_second_of_two_concurrent_saves_is_refused(admins):
    """A opens, B saves, A saves: A is told why, and B's change stays. (Titles keep 信贷's
    evidence, which quotes the title.)"""
    alice, bob = admins
    measure = Measure.objects.get(number=8)
    alices_form = form_data(alice, change_url(measure))

    bobs_form = form_data(bob, change_url(measure))
    bobs_form["title"] = "加大信贷支持力度（鲍勃改）"
    assert bob.post(change_url(measure), bobs_form).status_code == 302

    alices_form["title"] = "加大信贷支持力度（爱丽丝改）"
    response = alice.post(change_url(measure), alices_form)
    assert response.status_code == 200
    assertContains(response, "没有保存")
    assertContains(response, "“bob”")
    assert Measure.objects.get(pk=measure.pk).title == "加大信贷支持力度（鲍勃改）"

    # Reopened, Alice's form carries the new version and her save goes through.
    fresh = form_data(alice, change_url(measure))
    fresh["title"] = "加大信贷支持力度（爱丽丝改）"
    assert alice.post(change_url(measure), fresh).status_code == 302
    assert Measure.objects.get(pk=measure.pk).title == "加大信贷支持力度（爱丽丝改）"


def test_concurrent_edits_of_an_inline_are_refused(admins):
    alice, bob = admins
    heading = Heading.objects.get(ordinal=3)
    alices_form = form_data(alice, change_url(heading))

    measure = heading.measures.get(number=9)
    bobs_form = form_data(bob, change_url(measure))
    bobs_form["title"] = "强化融资担保服务（鲍勃改）"
    assert bob.post(change_url(measure), bobs_form).status_code == 302

    # Alice edits measure 9 inline under its heading, on the version she opened.
    key = next(k for k, v in alices_form.items() if k.endswith("-number") and v == 9)
    alices_form[key.replace("-number", "-title")] = "强化融资担保服务（爱丽丝改）"
    response = alice.post(change_url(heading), alices_form)
    assert response.status_code == 200
    assertContains(response, "没有保存")
    assert Measure.objects.get(pk=measure.pk).title == "强化融资担保服务（鲍勃改）"


def test_concurrent_list_editable_saves_are_refused(admins):
    alice, bob = admins
    url = reverse("admin:policies_topic_changelist")
    topic = Topic.objects.get(slug="credit")

    def changelist_post(client, name_en):
        response = client.get(url)
        formset = response.context["cl"].formset
        data = {
            formset.management_form.add_prefix(k): v
            for k, v in formset.management_form.initial.items()
        }
        for form in formset.forms:
            data[form.add_prefix("id")] = form.instance.pk
            data[form.add_prefix("name_en")] = form.instance.name_en
            data[form.add_prefix("version")] = form.instance.version
            if form.instance.pk == topic.pk:
                data[form.add_prefix("name_en")] = name_en
        data["_save"] = "保存"
        return data

    alices = changelist_post(alice, "Credit (Alice)")
    bobs = changelist_post(bob, "Credit (Bob)")
    assert bob.post(url, bobs).status_code == 302
    response = alice.post(url, alices)
    assert response.status_code == 200
    assertContains(response, "没有保存")
    assert Topic.objects.get(pk=topic.pk).name_en == "Credit (Bob)"


def test_a_classification_in_use_cannot_be_deleted(admins):
    alice, _ = admins
    topic = Topic.objects.get(slug="credit")
    response = alice.post(reverse("admin:policies_topic_delete", args=[topic.pk]), {"post": "yes"})
    assert response.status_code == 200
    assertContains(response, "加大信贷支持力度")
    assert Topic.objects.filter(slug="credit").exists()


def test_a_deleted_record_can_be_recovered_from_history(admins):
    alice, _ = admins
    topic = Topic.objects.get(slug="publicity")
    topic.measures.clear()
    response = alice.post(reverse("admin:policies_topic_delete", args=[topic.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Topic.objects.filter(slug="publicity").exists()

    recover_list = alice.get(reverse("admin:policies_topic_recoverlist"))
    assertContains(recover_list, "舆论宣传")
    deleted = Version.objects.get_deleted(Topic).get()
    recover_url = reverse("admin:policies_topic_recover", args=[deleted.pk])
    assert alice.post(recover_url, form_data(alice, recover_url)).status_code == 302
    assert Topic.objects.get(slug="publicity").name == "舆论宣传"


def test_versions_only_go_up_even_after_a_revert(admins):
    alice, _ = admins
    measure = Measure.objects.get(number=8)
    start = measure.version
    data = form_data(alice, change_url(measure))
    data["title"] = "加大信贷支持力度（改一次）"
    alice.post(change_url(measure), data)
    baseline = Version.objects.get_for_object(measure).last()
    revision_url = reverse("admin:policies_measure_revision", args=[measure.pk, baseline.pk])
    alice.post(revision_url, form_data(alice, revision_url))
    assert Measure.objects.get(pk=measure.pk).version > start + 1


def history_url(obj) -> str:
    return reverse("admin:policies_measure_history", args=[obj.pk])


def test_history_diffs_only_the_fields_a_person_edits(admins):
    """The search token streams and the derived notice are neither diffed nor shown."""
    alice, _ = admins
    measure = Measure.objects.get(number=8)
    data = form_data(alice, change_url(measure))
    data["text"] = measure.text + "新增一句。"
    assert alice.post(change_url(measure), data).status_code == 302

    response = alice.get(history_url(measure))
    labels = {change.label for row in response.context["version_rows"] for change in row["changes"]}
    assert "正文" in labels
    assert labels <= {str(f.verbose_name) for f in Measure._meta.get_fields() if f.editable}
    for internal in ("检索用标题词元", "检索用正文词元", "版本"):
        assert internal not in labels
    assert "通知" not in labels  # derived from the heading on save


def confetti(seed: int, sentences: int = 100) -> str:
    """About 5,000 characters of sentences drawn from a few characters: two such texts
    share characters everywhere and sentences nowhere, the worst case of a character diff."""
    rng = random.Random(seed)
    return "".join("".join(rng.choices("政策措施企业支持", k=49)) + "。" for _ in range(sentences))


def test_a_long_text_diff_stays_bounded(admins):
    old, new = confetti(1), confetti(2)
    assert len(old) == len(new) == 5000
    old_html, new_html = text_diff(old, new)
    pieces = old_html.count("<del>") + new_html.count("<ins>")
    assert pieces <= 10  # whole passages, not thousands of scattered characters
    assert len(old_html) + len(new_html) < 2 * (len(old) + len(new))

    # One word changed in one sentence of the long text: the diff says exactly that.
    edited = old[:2500] + old[2500:].replace(old[2510:2514], "改过的字", 1)
    old_html, new_html = text_diff(old, edited)
    assert old_html.count("<del>") == 1 and new_html.count("<ins>") == 1
    assert "<ins>改过的字</ins>" in new_html


def test_two_saves_of_a_long_text_show_a_bounded_history(admins):
    alice, _ = admins
    measure = Measure.objects.get(number=8)
    # Kept after the measure's own text, which its classifications' evidence quotes.
    for text in (confetti(1), confetti(2)):
        data = form_data(alice, change_url(measure))
        data["text"] = measure.text + text
        assert alice.post(change_url(measure), data).status_code == 302
    response = alice.get(history_url(measure))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<del>") + html.count("<ins>") < 20
    assert len(html) < 60_000


def test_a_text_too_long_to_diff_says_so(admins):
    long_text = "长" * (DIFF_MAX_CHARS + 1)
    old_html, new_html = text_diff(long_text, long_text + "。")
    assert "文字太长" in new_html
    assert len(new_html) < 200
    with translation.override("en"):
        assert "Too long to compare" in text_diff(long_text, "短")[1]


def test_recovering_a_measure_whose_heading_was_deleted_says_to_recover_the_heading_first(
    admins,
):
    alice, _ = admins
    heading = Heading.objects.get(ordinal=3)
    measures = list(heading.measures.all())
    # Edited since the seed, so each one's last version is a revision of its own.
    for obj in (heading, measures[0]):
        data = form_data(alice, change_url(obj))
        data["title"] += "（改）"
        assert alice.post(change_url(obj), data).status_code == 302
    heading.refresh_from_db()
    for measure in measures:
        url = reverse("admin:policies_measure_delete", args=[measure.pk])
        assert alice.post(url, {"post": "yes"}).status_code == 302
    url = reverse("admin:policies_heading_delete", args=[heading.pk])
    assert alice.post(url, {"post": "yes"}).status_code == 302

    deleted = Version.objects.get_deleted(Measure).get(object_id=str(measures[0].pk))
    recover_url = reverse("admin:policies_measure_recover", args=[deleted.pk])
    for response in (alice.get(recover_url, follow=True), alice.post(recover_url, follow=True)):
        assert response.status_code == 200
        assertContains(response, "已被删除")
        assertContains(response, "请先恢复")
        assertContains(response, str(heading))
    assert not Measure.objects.filter(pk=measures[0].pk).exists()

    # Once the heading is back, the measure can be recovered.
    deleted_heading = Version.objects.get_deleted(Heading).get(object_id=str(heading.pk))
    heading_url = reverse("admin:policies_heading_recover", args=[deleted_heading.pk])
    assert alice.post(heading_url, form_data(alice, heading_url)).status_code == 302
    assert alice.post(recover_url, form_data(alice, recover_url)).status_code == 302
    assert Measure.objects.filter(pk=measures[0].pk).exists()


def test_recovering_a_record_leaves_the_others_saved_with_it_as_they_are(admins):
    """The seed saved every record in one revision; restoring one of them must not undo
    later edits to the others (django-reversion's own recover restores the whole revision)."""
    alice, _ = admins
    edited, removed = Measure.objects.get(number=8), Measure.objects.get(number=9)
    data = form_data(alice, change_url(edited))
    data["text"] = edited.text + "编辑后加的一句。"
    assert alice.post(change_url(edited), data).status_code == 302
    url = reverse("admin:policies_measure_delete", args=[removed.pk])
    assert alice.post(url, {"post": "yes"}).status_code == 302

    deleted = Version.objects.get_deleted(Measure).get(object_id=str(removed.pk))
    recover_url = reverse("admin:policies_measure_recover", args=[deleted.pk])
    assert alice.post(recover_url, form_data(alice, recover_url)).status_code == 302
    assert Measure.objects.get(pk=removed.pk).text == removed.text
    assert Measure.objects.get(pk=edited.pk).text == edited.text + "编辑后加的一句。"


def test_reverting_a_record_leaves_the_others_saved_with_it_as_they_are(admins):
    alice, _ = admins
    reverted, other = Measure.objects.get(number=8), Measure.objects.get(number=10)
    for obj in (reverted, other):
        data = form_data(alice, change_url(obj))
        data["text"] = obj.text + f"编辑后加的第{obj.number}句。"
        assert alice.post(change_url(obj), data).status_code == 302
    baseline = Version.objects.get_for_object(reverted).last()
    url = reverse("admin:policies_measure_revision", args=[reverted.pk, baseline.pk])
    assert alice.post(url, form_data(alice, url)).status_code == 302
    assert Measure.objects.get(pk=reverted.pk).text == reverted.text
    assert Measure.objects.get(pk=other.pk).text == other.text + "编辑后加的第10句。"
