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


def user_form(user, **changes) -> dict:
    """The user change form as the browser sends it, with `changes`."""
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "is_staff": "on",
        "groups": list(user.groups.values_list("pk", flat=True)),
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
    }
    data.update(changes)
    return data


def test_an_administrator_cannot_make_itself_a_superuser(member, seed):
    administrator = member("管理员")
    me = get_user_model().objects.get(username="user-管理员")
    url = reverse("admin:auth_user_change", args=[me.pk])
    assert administrator.get(url).status_code == 200
    response = administrator.post(url, user_form(me, is_superuser="on", email="me@example.org"))
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.email == "me@example.org"  # the form was saved...
    assert not me.is_superuser  # ...but not the superuser status


def test_an_administrator_cannot_change_a_superusers_account(member, seed):
    administrator = member("管理员")
    boss = get_user_model().objects.create_superuser("boss", password="the-right-passphrase-1")
    change = reverse("admin:auth_user_change", args=[boss.pk])
    assert administrator.get(change).status_code == 200  # may look at it
    response = administrator.post(change, user_form(boss, is_superuser="on", is_active=""))
    assert response.status_code == 403
    password = reverse("admin:auth_user_password_change", args=[boss.pk])
    data = {"password1": "taken-over-passphrase-9", "password2": "taken-over-passphrase-9"}
    assert administrator.post(password, data).status_code == 403
    delete = reverse("admin:auth_user_delete", args=[boss.pk])
    assert administrator.post(delete, {"post": "yes"}).status_code == 403
    boss.refresh_from_db()
    assert boss.is_active and boss.check_password("the-right-passphrase-1")


def test_a_superuser_grants_superuser_status(admin_client, seed):
    other = get_user_model().objects.create_user("other", password="a-long-passphrase-1")
    url = reverse("admin:auth_user_change", args=[other.pk])
    assert admin_client.post(url, user_form(other, is_superuser="on")).status_code == 302
    other.refresh_from_db()
    assert other.is_superuser


def test_an_administrator_still_manages_other_accounts(member, seed):
    administrator = member("管理员")
    other = get_user_model().objects.create_user("other", password="a-long-passphrase-1")
    url = reverse("admin:auth_user_change", args=[other.pk])
    editors = Group.objects.get(name="编辑")
    assert administrator.post(url, user_form(other, groups=[editors.pk])).status_code == 302
    assert list(other.groups.all()) == [editors]
    password = reverse("admin:auth_user_password_change", args=[other.pk])
    data = {"password1": "a-new-passphrase-77", "password2": "a-new-passphrase-77"}
    assert administrator.post(password, data).status_code == 302
    other.refresh_from_db()
    assert other.check_password("a-new-passphrase-77")


def test_an_administrator_cannot_grant_single_permissions_or_change_a_role(member, seed):
    """Roles are groups: a 管理员 may put people in them, not widen what they allow."""
    from django.contrib.auth.models import Permission

    administrator = member("管理员")
    me = get_user_model().objects.get(username="user-管理员")
    sessions = Permission.objects.get(codename="delete_session")
    url = reverse("admin:auth_user_change", args=[me.pk])
    response = administrator.post(url, user_form(me, user_permissions=[sessions.pk]))
    assert response.status_code == 302
    assert not me.user_permissions.exists()
    role = Group.objects.get(name="管理员")
    before = set(role.permissions.values_list("pk", flat=True))
    url = reverse("admin:auth_group_change", args=[role.pk])
    response = administrator.post(url, {"name": "管理员", "permissions": [*before, sessions.pk]})
    assert response.status_code == 302
    assert set(role.permissions.values_list("pk", flat=True)) == before
