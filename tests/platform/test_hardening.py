"""Item 13 of the integrity issue: a Content-Security-Policy on every page, and sessions
that end after a while without activity and after a working day."""

import time

import pytest
from django.urls import reverse

from backoffice.platform.security import SessionExpiryMiddleware

pytestmark = pytest.mark.django_db
INDEX = "admin:index"


def test_item13_every_admin_page_sends_a_content_security_policy(client, manager):
    client.force_login(manager)
    for url in (reverse("admin:login"), reverse(INDEX),
                reverse("admin:backoffice_ticket_changelist")):
        response = client.get(url)
        assert response.status_code in (200, 302)
        policy = response.headers.get("Content-Security-Policy", "")
        for directive in ("default-src 'self'", "object-src 'none'", "frame-ancestors 'none'",
                          "form-action 'self'", "base-uri 'self'"):
            assert directive in policy, (url, policy)


def _age_session(client, **seconds_ago):
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def test_item13_an_idle_session_is_signed_out(client, clerk, settings):
    settings.SESSION_IDLE_SECONDS = 30 * 60
    client.force_login(clerk)
    assert client.get(reverse(INDEX)).status_code == 200
    _age_session(client, **{SessionExpiryMiddleware.SEEN: 31 * 60})
    response = client.get(reverse("admin:backoffice_ticket_changelist"))
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    page = client.get(response.url).content.decode()
    assert "30" in page and "login" in response.url  # the login page says why
    assert client.get(reverse(INDEX)).status_code == 302  # really signed out


def test_item13_activity_keeps_the_session_until_its_lifetime_ends(client, clerk, settings):
    settings.SESSION_IDLE_SECONDS = 30 * 60
    settings.SESSION_MAX_AGE_SECONDS = 12 * 3600
    client.force_login(clerk)
    client.get(reverse(INDEX))
    # active a minute ago, signed in eleven hours ago: still in
    _age_session(client, **{SessionExpiryMiddleware.SEEN: 60,
                            SessionExpiryMiddleware.STARTED: 11 * 3600})
    assert client.get(reverse(INDEX)).status_code == 200
    # active a minute ago, but signed in thirteen hours ago: out
    _age_session(client, **{SessionExpiryMiddleware.SEEN: 60,
                            SessionExpiryMiddleware.STARTED: 13 * 3600})
    response = client.get(reverse(INDEX))
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))


def test_item13_session_limits_are_settings_with_sane_defaults(settings):
    assert 15 * 60 <= settings.SESSION_IDLE_SECONDS <= 8 * 3600
    assert settings.SESSION_IDLE_SECONDS <= settings.SESSION_MAX_AGE_SECONDS <= 24 * 3600
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_MAX_AGE_SECONDS
