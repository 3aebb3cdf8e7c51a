"""Billing test fixtures: receipts go to a temporary folder; messages are read in English."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def billing_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def no_spending_sources():
    """Each test starts with no registered spending source (inventory may register one)."""
    from backoffice import budget

    saved = dict(budget._sources)
    budget._sources.clear()
    yield
    budget._sources.clear()
    budget._sources.update(saved)
