import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from policies.models import Heading, Measure
from tests.test_history import change_url, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    def login(group_name: str):
        user = get_user_model().objects.create_user(
            f"user-{group_name}", password="a-long-passphrase-1", is_staff=True
        )
        user.groups.add(Group.objects.get(name=group_name))
        client.force_login(user)
        return client

    return login


def test_the_roles_exist_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) >= {"编辑", "管理员"}


def test_an_editor_can_edit_a_measure(member, seed):
    editor = member("编辑")
    # Measure 7's evidence is all in its text (8's quotes its title, which this changes).
    measure = Measure.objects.get(number=7)
    data = form_data(editor, change_url(measure))
    data["title"] = "编辑改过的标题"
    assert editor.post(change_url(measure), data).status_code == 302
    assert Measure.objects.get(pk=measure.pk).title == "编辑改过的标题"


def test_an_editor_can_add_figures_and_actions(member, seed):
    editor = member("编辑")
    assert editor.get(reverse("admin:industry_figure_add")).status_code == 200
    assert editor.get(reverse("admin:industry_action_add")).status_code == 200
    assert editor.get(reverse("admin:policies_topic_add")).status_code == 200


def test_an_editor_cannot_delete_a_heading_or_a_notice(member, seed):
    editor = member("编辑")
    heading = Heading.objects.get(ordinal=1)
    assert (
        editor.post(
            reverse("admin:policies_heading_delete", args=[heading.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Heading.objects.filter(pk=heading.pk).exists()
    # A notice can be changed (an imported draft corrected, then published), not deleted.
    response = editor.get(change_url(heading.notice))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is True
    assert response.context["has_delete_permission"] is False


def test_an_editor_cannot_open_the_users_admin(member, seed):
    editor = member("编辑")
    assert editor.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert editor.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_an_administrator_can_do_everything(member, seed):
    administrator = member("管理员")
    assert administrator.get(reverse("admin:auth_user_changelist")).status_code == 200
    heading = Heading.objects.create(
        notice=Heading.objects.first().notice, ordinal=7, title="新标题"
    )
    response = administrator.post(
        reverse("admin:policies_heading_delete", args=[heading.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Heading.objects.filter(pk=heading.pk).exists()
