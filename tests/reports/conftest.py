"""These tests read user-facing text: run them in English whatever LANGUAGE_CODE says,
so that the central Chinese translation does not change what they see."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
