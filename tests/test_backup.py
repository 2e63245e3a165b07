import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from reversion.models import Version

from policies.models import Measure

pytestmark = pytest.mark.django_db


def dump(path) -> list:
    # Django's JSON keeps times to the millisecond: a restored 12:00:00.000412 is written
    # back as 12:00:00, where the first dump wrote 12:00:00.000.
    return json.loads(re.sub(r"\.000(Z|[+-]\d\d:\d\d)", r"\1", path.read_text("utf-8")))


def edit_in_admin(seed):
    user = get_user_model().objects.create_superuser("alice", password="a-long-passphrase-1")
    client = Client()
    client.force_login(user)
    measure = Measure.objects.get(number=8)
    from tests.test_history import change_url, form_data

    data = form_data(client, change_url(measure))
    data["title"] = "加大信贷支持力度（校对后）"
    assert client.post(change_url(measure), data).status_code == 302


@pytest.mark.django_db(
    transaction=True
)  # flush cannot run inside a test's transaction on PostgreSQL
def test_a_backup_restored_into_an_empty_database_gives_back_everything(seed, tmp_path):
    edit_in_admin(seed)
    first = tmp_path / "first.json"
    call_command("backup", str(first))
    history_before = Version.objects.count()

    call_command("flush", interactive=False, verbosity=0)
    assert not Measure.objects.exists() and not Version.objects.exists()
    call_command("restore", str(first))

    second = tmp_path / "second.json"
    call_command("backup", str(second))
    assert dump(first) == dump(second)
    assert Measure.objects.get(number=8).title == "加大信贷支持力度（校对后）"
    assert Version.objects.count() == history_before
    assert Version.objects.get_for_object(Measure.objects.get(number=8)).count() == 2
    assert get_user_model().objects.get(username="alice").check_password("a-long-passphrase-1")


def test_restore_refuses_a_database_that_holds_records(seed, tmp_path):
    backup = tmp_path / "b.json"
    call_command("backup", str(backup))
    with pytest.raises(CommandError, match="already holds records"):
        call_command("restore", str(backup))
