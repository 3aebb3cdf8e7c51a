"""Fixtures of the training tests."""

import pytest


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """make_user hashes a password per user; PBKDF2 costs ~0.5 s each on these machines."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
