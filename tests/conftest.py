"""Shared fixtures: one user per role, and the service desk's reference data."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from backoffice.platform import roles

# the real mail servers the mail tests talk to (aiosmtpd, Dovecot)
pytest_plugins = ["tests.smtp", "tests.imap"]


@pytest.fixture
def make_user(db):
    """make_user("engineer", username="eng2") -> an active staff user in that role."""
    counter = {"n": 0}

    def make(role=None, username=None, **extra):
        counter["n"] += 1
        username = username or f"{role or 'user'}{counter['n']}"
        user = get_user_model().objects.create_user(
            username=username, password="pw", is_staff=True, **extra)
        if role:
            user.groups.add(Group.objects.get(name=roles.group_name(role)))
        return user

    return make


@pytest.fixture
def clerk(make_user):
    return make_user("clerk", "clerk")


@pytest.fixture
def engineer(make_user):
    return make_user("engineer", "engineer")


@pytest.fixture
def manager(make_user):
    return make_user("manager", "manager")


@pytest.fixture
def business(make_user):
    return make_user("business", "business")


@pytest.fixture
def warehouse(make_user):
    return make_user("warehouse", "warehouse")


@pytest.fixture
def trainer(make_user):
    return make_user("trainer", "trainer")


@pytest.fixture
def finance(make_user):
    return make_user("finance", "finance")


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def calendar(db):
    """Mon-Fri 09:00-12:00 + 13:30-18:00, with the data source's holidays and make-up days
    (2026 from the State Council's notice, 2027 by the statutory rule)."""
    from backoffice.desk.demo import ensure_calendar

    return ensure_calendar()


def aware(*args):
    from django.utils import timezone

    return timezone.make_aware(dt.datetime(*args))


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Test users need a password, not a slow hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english(settings):
    """Assertions read English messages; the Chinese UI has its own tests."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Background tasks run inline in tests; tests of the real worker switch back."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache: cached figures (the bell's unread count) are
    keyed by ids that the next test's database hands out again."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pytest_configure(config):
    """A run that was killed can leave the SQLite test database's WAL files behind; a new
    database file next to an old WAL reads as a disk I/O error. Start clean."""
    from pathlib import Path

    from django.conf import settings

    test_name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and test_name:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{test_name}{suffix}").unlink(missing_ok=True)
