"""Roles: each group can do what DOMAIN.md says, and no more."""

import pytest
from django.contrib.admin import site
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import RequestFactory

from backoffice.platform import roles

pytestmark = pytest.mark.django_db


def test_seven_groups_hold_exactly_the_matrix():
    matrix = roles.permission_matrix()
    assert len(matrix) == 7
    for role, perms in matrix.items():
        group = Group.objects.get(name=roles.group_name(role))
        held = {f"{p.content_type.app_label}.{p.codename}"
                for p in group.permissions.select_related("content_type")}
        assert held == perms, role


def test_sync_is_idempotent_and_repairs_drift():
    clerk = Group.objects.get(name=roles.group_name("clerk"))
    clerk.permissions.clear()
    call_command("setup_roles")
    call_command("setup_roles")
    assert Group.objects.filter(name__in=[n for n, _ in roles.ROLES.values()]).count() == 7
    assert clerk.permissions.count() == len(roles.permission_matrix()["clerk"])


def test_a_clerk_cannot_approve_anything(clerk):
    perms = clerk.get_all_permissions()
    assert not [p for p in perms if ".approve_" in p or ".pay_" in p]


def test_only_the_after_sales_manager_handles_complaints(clerk, engineer, manager, business,
                                                          warehouse, trainer, finance):
    holders = [u.username for u in (clerk, engineer, manager, business, warehouse, trainer,
                                    finance) if u.has_perm("backoffice.handle_complaint")]
    assert holders == ["manager"]


def test_only_the_business_manager_evaluates_requirements(clerk, engineer, manager, business):
    holders = [u.username for u in (clerk, engineer, manager, business)
               if u.has_perm("backoffice.evaluate_requirement")]
    assert holders == ["business"]


def test_engineers_work_tickets_but_do_not_record_or_assign_them(engineer):
    assert engineer.has_perm("backoffice.work_ticket")
    assert engineer.has_perm("backoffice.change_ticket")
    assert not engineer.has_perm("backoffice.add_ticket")
    assert not engineer.has_perm("backoffice.assign_ticket")
    assert not engineer.has_perm("backoffice.delete_ticket")


def test_nobody_deletes_tickets(make_user):
    for role in roles.ROLES:
        assert not make_user(role).has_perm("backoffice.delete_ticket"), role


@pytest.mark.parametrize("role", list(roles.ROLES))
def test_admin_follows_the_matrix_for_every_model(role, make_user):
    """Every registered admin answers view/add/change/delete as the matrix says."""
    user = make_user(role)
    perms = roles.permission_matrix()[role]
    request = RequestFactory().get("/")
    request.user = user
    for model, model_admin in site._registry.items():
        label = f"{model._meta.app_label}.%s_{model._meta.model_name}"
        # lines edited inline on their document hide their own page and may be stricter
        # there than the matrix, never more permissive
        inline_only = model_admin.get_model_perms(request) == {}
        for verb in ("view", "add", "change", "delete"):
            expected = label % verb in perms
            if verb == "view":
                expected = expected or label % "change" in perms
            actual = getattr(model_admin, f"has_{verb}_permission")(request)
            if inline_only:
                assert not actual or expected, f"{role} {verb} {model.__name__}"
            else:
                assert actual == expected, f"{role} {verb} {model.__name__}"


def test_the_roles_document_matches_the_matrix(settings):
    """docs/roles.md (linked from the README) is generated from the matrix."""
    from pathlib import Path

    from django.utils import translation

    with translation.override("en"):
        expected = roles.matrix_markdown()
    document = Path(settings.BASE_DIR, "docs", "roles.md").read_text(encoding="utf-8")
    assert document.strip() == expected.strip(), (
        "regenerate: LANGUAGE_CODE=en manage.py setup_roles --markdown > docs/roles.md")
