"""Shared fixtures. The seed is loaded once per test session, and each test runs in a
transaction that is rolled back, so every test sees the seed as loaded (see
django_db_setup). Tests that build their own small data start from an empty knowledge base
(`empty_kb`, which the builders below request)."""

import functools
import io
import os
import secrets
from graphlib import TopologicalSorter

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection
from django.test.utils import setup_databases, teardown_databases
from django.utils import translation
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from pytest_django.fixtures import validate_django_db
from pytest_django.plugin import blocking_manager_key
from reversion.models import Revision, Version

from core.caching import forget_in_process
from core.management.commands.seed import app_has_data, seed_fixtures
from core.models import Change, DataVersion, knowledge_apps
from policies.models import Heading, Measure, Notice, Topic

# Hypothesis, for every test module (so a file run alone behaves as in the whole suite): no
# deadline (a busy machine is not a bug). In tests/test_hostile.py the test database and the
# seed are set up once per test function and shared by its examples, which only read. No
# example database: a failure prints the example to paste into an @example, where every
# reader can see it.
hypothesis_settings.register_profile(
    "kbsite",
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "bench", parent=hypothesis_settings.get_profile("kbsite"), max_examples=2000
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "kbsite"))


def _name_this_runs_keys() -> str | None:
    """On Redis (DJANGO_CACHE_URL), a key prefix of this run's own, so that runs sharing a
    Redis database (CI jobs side by side) neither see nor clear each other's keys."""
    config = django_settings.CACHES["default"]
    if not config["BACKEND"].endswith(".RedisCache"):
        return None
    config["KEY_PREFIX"] = f"{config.get('KEY_PREFIX') or 'kb'}-test-{secrets.token_hex(4)}"
    for alias in OTHER_CACHES:  # as kbsite.settings names them: the prefix, then the alias
        django_settings.CACHES[alias]["KEY_PREFIX"] = f"{config['KEY_PREFIX']}-{alias}"
    return config["KEY_PREFIX"]


OTHER_CACHES = ("counters", "pages")
REDIS_PREFIX = _name_this_runs_keys()


def clear_this_runs_cache() -> None:
    forget_in_process()
    if REDIS_PREFIX is None:
        for alias in ("default", *OTHER_CACHES):
            caches[alias].clear()
        return
    # Django's RedisCache.clear() empties the whole database, other runs' keys included.
    client = cache._cache.get_client(write=True)
    for prefix in (REDIS_PREFIX, *(f"{REDIS_PREFIX}-{alias}" for alias in OTHER_CACHES)):
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])


@pytest.fixture(scope="session", autouse=True)
def _redis_keys_removed():
    yield
    if REDIS_PREFIX is not None:
        clear_this_runs_cache()


@pytest.fixture
def clear_cache():
    """Empties the cache (this run's keys only, on Redis)."""
    return clear_this_runs_cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Cache keys carry the data version, which every test's rollback winds back: a test
    # could otherwise meet what an earlier test cached under the same number.
    clear_this_runs_cache()


@pytest.fixture(autouse=True)
def _default_language():
    # A request to an English page leaves English active in this thread: reverse() and
    # gettext outside a request would then give English to the next test.
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests download far more often than a visitor may (hypothesis runs an export per
    # example): unthrottled here; test_exports checks the throttle with its own setting.
    settings.KB_EXPORTS_PER_MINUTE = 0
    # A thread would compute outside the test's transaction, with no sight of its data: the
    # request computes (test_page_cache checks the threads with its own setting).
    settings.KB_RECOMPUTE_IN_BACKGROUND = False
    # Tests render templates without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_db_blocker, django_db_keepdb, django_db_createdb, django_db_modify_db_settings
):
    """The test database with the real seed data, loaded once, the way `make run` loads it.

    In place of pytest-django's fixture, which sets up the test database only if a selected
    test asks for `db` or the django_db mark: tests that read committed data through
    django_db_blocker (test_query_plans) ask for neither, and must never meet the site's
    own database."""
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        databases = setup_databases(
            verbosity=verbosity,
            interactive=False,
            keepdb=django_db_keepdb and not django_db_createdb,
            aliases={DEFAULT_DB_ALIAS},
            serialized_aliases=set(),  # no test asks for serialized_rollback
        )
        call_command("seed", verbosity=0, stdout=io.StringIO())
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(databases, verbosity=verbosity)


def empties_the_database(item: pytest.Item) -> bool:
    """Whether pytest-django runs the test as a TransactionTestCase, which ends by emptying
    every table (the same rule as pytest_django.fixtures._django_db_helper)."""
    marker = item.get_closest_marker("django_db")
    transaction, reset_sequences, *_ = validate_django_db(marker) if marker else (False, False)
    fixtures = {"transactional_db", "live_server", "django_db_reset_sequences"}
    return transaction or reset_sequences or bool(fixtures & set(item.fixturenames))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield  # the test's fixtures are torn down: a transactional test has flushed by now
    if nextitem is not None and empties_the_database(item):
        with item.config.stash[blocking_manager_key].unblock():
            call_command("seed", verbosity=0, stdout=io.StringIO())


@pytest.fixture
def seed(db):
    """The real seed data (loaded once per session; this test's changes roll back)."""
    assert all(app_has_data(app_label) for app_label, _ in seed_fixtures()), (
        "The seed is missing: a test emptied the database and it was not loaded again."
    )


@functools.cache
def knowledge_tables() -> list[str]:
    """The tables of the knowledge-base apps, many-to-many tables included, each before
    the tables it refers to."""
    models = {
        model
        for config in knowledge_apps()
        for model in config.get_models(include_auto_created=True)
    }
    refers_to = {
        model: {
            field.related_model
            for field in model._meta.concrete_fields
            if field.is_relation
            and field.related_model in models
            and field.related_model is not model
        }
        for model in models
    }
    order = list(TopologicalSorter(refers_to).static_order())  # referred-to tables first
    return [model._meta.db_table for model in reversed(order)]


@pytest.fixture
def empty_kb(db):
    """No knowledge-base record, no history of one (nor its public changes), no data
    version: the knowledge base as `migrate` leaves it, for tests that build their own small
    data. Rows are deleted in the test's transaction, so the seed is back for the next test."""
    history = (Change, Version, Revision, DataVersion)
    tables = [*knowledge_tables(), *(m._meta.db_table for m in history)]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


@pytest.fixture
def make_notice(empty_kb):
    def make(slug="test-notice", doc_number="测试〔2024〕1号", **fields):
        fields = {
            "title": "关于测试的通知",
            "issuing_body": "测试部",
            "issued_on": "2024-01-01",
            "addressees": "各测试单位",
            "preamble": "现就有关事项通知如下：",
            "signature": "测试部",
            "signature_date": "2024年1月1日",
            "published_in": "测试刊物",
            "level": "national",
            "doc_type": "notice",
            "status": "published",
            **fields,
        }
        return Notice.objects.create(slug=slug, doc_number=doc_number, **fields)

    return make


@pytest.fixture
def make_measures(make_notice):
    """A notice with `count` measures spread over headings of three measures each."""

    def make(count, notice=None, topic=None):
        notice = notice or make_notice()
        measures = []
        for number in range(1, count + 1):
            heading, _ = Heading.objects.get_or_create(
                notice=notice,
                ordinal=(number - 1) // 3 + 1,
                defaults={"title": "测试标题"},
            )
            measure = Measure.objects.create(
                heading=heading,
                number=number,
                title=f"措施{number}",
                text=f"第{number}条正文。",
            )
            if topic:
                measure.topics.add(topic)
            measures.append(measure)
        return measures

    return make


@pytest.fixture
def topic(empty_kb):
    return Topic.objects.create(slug="credit", name="信贷", name_en="Credit")
