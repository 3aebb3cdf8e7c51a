"""Repeated failed logins are throttled and locked out; an administrator releases them."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/"


def attempt(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password,
                               "next": "/admin/"})


def test_five_failures_lock_the_account_even_for_the_right_password(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "clerk", "wrong").status_code == 200  # the form again
    locked = attempt(client, "clerk", "wrong")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "30 minutes" in locked.content.decode()
    assert attempt(client, "clerk", "pw").status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_visible_and_releasable_in_the_admin(client, clerk, superuser, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "clerk", "wrong")
    admin = client.__class__()
    admin.force_login(superuser)
    page = admin.get(reverse("admin:axes_accessattempt_changelist"))
    assert "clerk" in page.content.decode()
    admin.post(reverse("admin:axes_accessattempt_changelist"), {
        "action": "release", "_selected_action": list(
            AccessAttempt.objects.values_list("pk", flat=True))})
    assert not AccessAttempt.objects.exists()
    assert attempt(client, "clerk", "pw").status_code == 302  # logged in


def test_a_colleague_is_not_locked_out_by_someone_elses_failures(client, clerk, engineer,
                                                                   settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "clerk", "wrong")
    assert attempt(client, "engineer", "pw").status_code == 302
