"""The shared fixtures: the seed loaded once per session, back after a test that empties
the database, and an empty knowledge base for tests that build their own data.

The tests come in pairs whose second test checks, when it runs after the first (in file
order; pytest-django runs the tests that do not ask for the database last), that the
first one left the seed for the tests after it."""

import pytest
from django.contrib.auth.models import Group
from reversion.models import Revision, Version

from core.models import Change, DataVersion, data_versions, knowledge_apps
from industry.models import Figure
from policies.models import Measure, Notice


def assert_seed_is_loaded():
    assert Notice.objects.count() == 1
    assert Measure.objects.count() == 20
    assert Figure.objects.count() == 34
    assert Version.objects.get_for_object(Measure.objects.get(number=8)).count() == 1
    assert all(number >= 1 for number in data_versions().values())


@pytest.mark.django_db
def test_empty_kb_leaves_no_record_no_history_and_no_data_version(empty_kb):
    for config in knowledge_apps():
        for model in config.get_models(include_auto_created=True):
            assert not model.objects.exists(), model
    assert not Version.objects.exists() and not Revision.objects.exists()
    assert not Change.objects.exists()
    assert not DataVersion.objects.exists()
    assert set(Group.objects.values_list("name", flat=True)) >= {"编辑", "管理员"}


@pytest.mark.django_db
def test_the_seed_is_back_after_a_test_that_emptied_the_knowledge_base(seed):
    assert_seed_is_loaded()


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_sees_the_seed(seed):
    """It ends by emptying every table (pytest-django flushes after it)."""
    assert_seed_is_loaded()
    Measure.objects.filter(number=20).update(title="改过")  # committed: no test transaction


def test_the_seed_is_loaded_again_after_a_transactional_test(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():  # what the database holds between tests
        assert_seed_is_loaded()
        assert Measure.objects.get(number=20).title != "改过"
        assert set(Group.objects.values_list("name", flat=True)) >= {"编辑", "管理员"}
