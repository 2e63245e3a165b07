"""`make run` loads the seed data with `manage.py seed` and `ensure_admin`."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from industry.models import Action, Figure
from policies.models import Heading, Measure, Notice, Topic

pytestmark = pytest.mark.django_db


def test_seed_loads_the_notice_into_an_empty_database(empty_kb):
    call_command("seed", verbosity=0)
    assert Notice.objects.count() == 1
    assert Heading.objects.count() == 6
    assert Measure.objects.count() == 20


def test_seeding_again_keeps_edits_and_adds_no_duplicates(seed):
    measure = Measure.objects.get(number=8)
    measure.title = "管理员改过的标题"
    measure.save()
    Topic.objects.filter(slug="credit").update(name_en="Bank credit")
    figure = Figure.objects.get(number=1)
    figure.note = "管理员的注"
    figure.save()

    call_command("seed", verbosity=0)
    call_command("seed", verbosity=0)

    assert Measure.objects.count() == 20
    assert Measure.objects.get(number=8).title == "管理员改过的标题"
    assert Topic.objects.get(slug="credit").name_en == "Bank credit"
    assert Figure.objects.count() == 34
    assert Action.objects.count() == 12
    assert Figure.objects.get(number=1).note == "管理员的注"


@pytest.mark.parametrize(
    ("field", "bad_value", "named"),
    [
        ("heading", ["gxmd-2020-14", 9], "heading"),  # no such heading
        ("number", 0, "measure_number_positive"),  # breaks a database constraint
        ("number", "twelve", "twelve"),  # not a number
    ],
)
def test_a_broken_fixture_loads_nothing_and_names_the_record(
    empty_kb, tmp_path, settings, field, bad_value, named
):
    records = json.loads((settings.BASE_DIR / "fixtures" / "policies.json").read_text("utf-8"))
    broken = next(
        r for r in records if r["model"] == "policies.measure" and r["fields"]["number"] == 12
    )
    broken["fields"][field] = bad_value
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "policies.json").write_text(
        json.dumps(records, ensure_ascii=False), "utf-8"
    )
    settings.BASE_DIR = tmp_path

    with pytest.raises(CommandError) as excinfo:
        call_command("seed", verbosity=0)

    assert "policies.json" in str(excinfo.value)
    assert "nothing was saved" in str(excinfo.value)
    assert "policies.measure" in str(excinfo.value).lower()
    assert named in str(excinfo.value)
    assert f"Record {records.index(broken) + 1} (policies.measure)" in str(excinfo.value)
    assert Notice.objects.count() == 0
    assert Measure.objects.count() == 0


def test_ensure_admin_creates_one_account_with_a_printed_password(db, capsys, monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_USERNAME", raising=False)
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    call_command("ensure_admin")
    out = capsys.readouterr().out
    user = get_user_model().objects.get(username="admin")
    password = out.split("password: ")[1].split()[0]
    assert user.is_superuser and user.check_password(password)

    call_command("ensure_admin")
    assert "already exists" in capsys.readouterr().out
    assert get_user_model().objects.count() == 1
    assert get_user_model().objects.get(username="admin").check_password(password)


def test_ensure_admin_uses_the_environment(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "editor-in-chief")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-passphrase-123")
    call_command("ensure_admin")
    user = get_user_model().objects.get(username="editor-in-chief")
    assert user.is_superuser and user.check_password("a-long-passphrase-123")


def run_django(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_secret_key_with_debug_off_stops_start_up_with_a_clear_message():
    result = run_django("check", env={})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_on_runs_with_a_development_key():
    result = run_django("check", env={"DJANGO_DEBUG": "1"})
    assert result.returncode == 0, result.stderr
