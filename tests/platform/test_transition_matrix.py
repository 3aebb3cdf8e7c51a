"""Every role × every workflow step × own / someone else's document, against the matrix.

The expected outcome is the transition matrix in the apps' ``roles.py`` (documented in
docs/roles.md); the actual outcome is the transition's own permission rule, run with a
real user of each role on a document that is theirs and on one that is not. So a rule
that lets the wrong role in, or forgets the four-eyes check, fails here, and so does a
new transition that nobody has placed in the matrix. The same for editing: the admin's
change check (``has_change_permission(request, document)``) against ``EDITORS``.
"""

import pytest
from django.apps import apps
from django.contrib.admin import site
from django.test import RequestFactory

from backoffice.platform import roles, workflow
from backoffice.platform.roles import ANY, OTHERS, OWN


def test_the_matrix_names_exactly_the_transitions_in_the_code():
    in_code = {f"{model._meta.label_lower}.{name}"
               for model, transitions in workflow.state_machines() for name in transitions}
    in_matrix = {f"{label}.{name}"
                 for label, steps in roles.transition_matrix().items() for name in steps}
    assert in_code - in_matrix == set(), "add these steps to the apps' roles.TRANSITIONS"
    assert in_matrix - in_code == set(), "these steps in roles.TRANSITIONS do not exist"


def test_owner_fields_name_real_user_fields():
    for label, fields in roles.owner_fields().items():
        for name in fields:
            model = apps.get_model(label)
            *path, last = name.split("__")
            for step in path:  # "ticket__assignee": the assignee of the document's ticket
                model = model._meta.get_field(step).related_model
            assert model._meta.get_field(last).related_model._meta.label == "auth.User", (
                f"{label}.{name}")


def _document(model, owner_fields, owner_of: dict[str, int]):
    document = model()
    for name in owner_fields:
        *path, last = name.split("__")
        target = document
        for step in path:  # an unsaved related document carries the owner
            related = getattr(target, step, None)
            if related is None:
                related = target._meta.get_field(step).related_model()
                setattr(target, step, related)
            target = related
        setattr(target, f"{last}_id", owner_of.get(name))
    return document


def _scope(allowed, model, owner_fields, user, stranger) -> str | None:
    """How far ``user`` may act (``allowed(document, user)``): any / own / others / None.

    "Own" must hold for each owner field on its own (a stocktake started by me but
    submitted by someone else is still mine), otherwise the answer is "mixed".
    """
    others = allowed(
        _document(model, owner_fields, {f: stranger.pk for f in owner_fields}), user)
    if not owner_fields:
        return ANY if others else None
    own_each = {bool(allowed(
        _document(model, owner_fields, {f: (user.pk if f == mine else stranger.pk)
                                        for f in owner_fields}), user))
        for mine in owner_fields}
    if len(own_each) > 1:
        return "mixed"
    own = own_each.pop()
    return {(True, True): ANY, (True, False): OWN, (False, True): OTHERS}.get((own, bool(others)))


@pytest.mark.django_db
def test_every_role_may_run_exactly_the_steps_the_matrix_grants(make_user):
    users = {role: make_user(role) for role in roles.ROLES}
    stranger = make_user("engineer", username="someone_else")
    expected = roles.transition_matrix()
    owners = roles.owner_fields()
    mismatches, checked = [], 0
    for model, transitions in workflow.state_machines():
        label = model._meta.label_lower
        for name, transition in transitions.items():
            for role, user in users.items():
                checked += 1
                want = expected[label][name].get(role)
                got = _scope(transition.has_perm, model, owners.get(label, ()), user,
                             stranger)
                if want != got:
                    mismatches.append(f"{role} {label}.{name}: matrix {want}, rule {got}")
    assert checked > 600
    assert not mismatches, "\n".join(mismatches)


def _admin_may_change(model_admin):
    def allowed(document, user):
        request = RequestFactory().get("/")
        request.user = user
        return model_admin.has_change_permission(request, document)

    return allowed


def test_the_edit_matrix_names_documents_with_an_admin_page():
    for label, who in roles.editor_matrix().items():
        assert apps.get_model(label) in site._registry, label
        assert set(who) <= set(roles.ROLES), label


@pytest.mark.django_db
def test_every_role_may_edit_exactly_the_documents_the_matrix_grants(make_user):
    """The change page of a document in EDITORS saves for exactly the roles and scopes
    the matrix names (docs/roles.md, "Who edits a document")."""
    users = {role: make_user(role) for role in roles.ROLES}
    stranger = make_user("engineer", username="someone_else")
    owners = roles.owner_fields()
    mismatches, checked = [], 0
    for label, expected in roles.editor_matrix().items():
        model = apps.get_model(label)
        allowed = _admin_may_change(site._registry[model])
        for role, user in users.items():
            checked += 1
            got = _scope(allowed, model, owners.get(label, ()), user, stranger)
            if expected.get(role) != got:
                mismatches.append(f"{role} edits {label}: matrix {expected.get(role)}, "
                                  f"admin {got}")
    assert checked >= len(roles.ROLES)
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.django_db
def test_the_four_eyes_steps_exist_where_the_domain_needs_them():
    """DOMAIN.md: approvers never approve their own request."""
    matrix = roles.transition_matrix()
    for step in ("billing.expenseclaim.approve", "billing.expenseclaim.pay",
                 "billing.budget.approve", "billing.budgetadjustment.approve",
                 "inventory.scraprequest.approve", "inventory.stocktake.approve",
                 "inventory.purchaseorder.approve", "training.trainingplan.approve",
                 "training.appraisal.review", "backoffice.article.publish",
                 # the customer's rating feeds the assignee's appraisal
                 "backoffice.ticket.confirm", "backoffice.followup.record",
                 # the manager never reviews the service record of a ticket they worked
                 "backoffice.servicerecordreview.review"):
        label, name = step.rsplit(".", 1)
        scopes = set(matrix[label][name].values())
        assert scopes == {OTHERS}, step


@pytest.mark.django_db
def test_a_deactivated_user_runs_nothing_whatever_their_role(make_user):
    owners = roles.owner_fields()
    stranger = make_user("engineer", username="someone_else")
    for role in roles.ROLES:
        user = make_user(role, is_active=False)
        for model, transitions in workflow.state_machines():
            fields = owners.get(model._meta.label_lower, ())
            for name, transition in transitions.items():
                for mine in (True, False):
                    document = _document(model, fields, {
                        f: (user.pk if mine else stranger.pk) for f in fields})
                    assert not transition.has_perm(document, user), (
                        f"inactive {role} may {model.__name__}.{name}")
