"""Billing test fixtures: receipts go to a temporary folder; messages are read in English."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def billing_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"
    # users are created in almost every test: the production hasher costs ~0.3 s each
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def no_spending_sources():
    """Each test starts with no registered spending source (inventory may register one)."""
    from backoffice.platform import budget

    saved = dict(budget._sources)
    budget._sources.clear()
    yield
    budget._sources.clear()
    budget._sources.update(saved)
