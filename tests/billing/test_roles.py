"""Who may do what with money: the billing part of the permission matrix."""

import pytest
from django.contrib.admin import site
from django.test import RequestFactory

from backoffice.platform import roles

pytestmark = pytest.mark.django_db
STAFF = ["clerk", "engineer", "manager", "business", "warehouse", "trainer", "finance"]


def holders(perm):
    return sorted(role for role, perms in roles.permission_matrix().items() if perm in perms)


def test_every_staff_role_files_own_claims():
    for perm in ("billing.add_expenseclaim", "billing.add_expenseline",
                 "billing.change_expenseline"):
        assert holders(perm) == sorted(STAFF), perm


def test_decisions_belong_to_one_role_each():
    assert holders("billing.approve_expenseclaim") == ["manager"]
    assert holders("billing.pay_expenseclaim") == ["finance"]
    assert holders("billing.approve_budget") == ["finance"]
    assert holders("billing.approve_budgetadjustment") == ["finance"]
    assert holders("billing.submit_budget") == ["manager"]
    assert holders("billing.manage_customercharge") == ["business"]
    assert holders("billing.add_customercharge") == ["business"]
    assert holders("billing.view_budget") == ["finance", "manager"]


@pytest.mark.parametrize("role", STAFF)
def test_billing_admins_follow_the_matrix(role, make_user):
    """Model-level answers of every billing admin match the matrix (object-level rules,
    like "only your own open claim", come on top)."""
    user = make_user(role)
    perms = roles.permission_matrix()[role]
    request = RequestFactory().get("/")
    request.user = user
    for model, model_admin in site._registry.items():
        if model._meta.app_label != "billing":
            continue
        label = f"billing.%s_{model._meta.model_name}"
        for verb in ("view", "add", "change", "delete"):
            expected = label % verb in perms
            if verb == "view":
                expected = expected or label % "change" in perms
            actual = getattr(model_admin, f"has_{verb}_permission")(request)
            assert actual == expected, f"{role} {verb} {model.__name__}"
