"""Nothing lost: every change form of a versioned record carries the version it showed,
and a save from a page opened before someone else's save is refused, not overwriting.

The walker reads each page's form the way a browser would (the inputs that are really in
the HTML), so a token the template forgot to draw is caught, whatever the fieldsets.
"""

from html.parser import HTMLParser

import pytest
from django.contrib.admin import site
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from backoffice.platform.models import VersionedModel

STALE = "changed by someone else after you opened it"
NO_VERSION = "does not say which version of the record you opened"
#: look this far down a list for a record the superuser may change
CANDIDATES = 30


class FormFields(HTMLParser):
    """The name/value pairs a browser submits for the form with ``form_id``: inputs
    (checked boxes only), selects (their selected options, else the first one) and
    textareas, inside the form or pointing at it with form="…"; no file inputs."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.depth = form_id, 0
        self.pairs: list[tuple[str, str]] = []
        self._select = self._textarea = self._option = None

    def _ours(self, attrs):
        return self.depth > 0 or attrs.get("form") == self.form_id

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            if attrs.get("id") == self.form_id or self.depth:
                self.depth += 1
            return
        if not self._ours(attrs) or "disabled" in attrs:
            if tag == "option" and self._select is not None:
                self._option = None
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self.pairs.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in attrs, "chosen": [],
                            "first": None}
        elif tag == "option" and self._select is not None:
            self._option = {"value": attrs.get("value"), "text": "",
                            "selected": "selected" in attrs}
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "text": ""}

    def handle_endtag(self, tag):
        if tag == "form" and self.depth:
            self.depth -= 1
        elif tag == "option" and self._option is not None:
            self._close_option()
        elif tag == "select" and self._select is not None:
            if self._option is not None:
                self._close_option()
            select = self._select
            values = select["chosen"] or (
                [] if select["multiple"] or select["first"] is None else [select["first"]])
            self.pairs += [(select["name"], v) for v in values]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea["text"]
            self.pairs.append((self._textarea["name"], text[1:] if text.startswith("\n")
                               else text))
            self._textarea = None

    def _close_option(self):
        option, self._option = self._option, None
        value = option["value"] if option["value"] is not None else option["text"].strip()
        if self._select["first"] is None:
            self._select["first"] = value
        if option["selected"]:
            self._select["chosen"].append(value)

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["text"] += data


def form_fields(html, form_id):
    parser = FormFields(form_id)
    parser.feed(html)
    return parser.pairs


def as_post(pairs, drop=()):
    data: dict[str, list[str]] = {}
    for name, value in pairs:
        if name not in drop:
            data.setdefault(name, []).append(value)
    return data


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def _inline_rows(model_admin, request, obj):
    """How many rows of versioned models the record's inlines show."""
    rows = 0
    for inline in model_admin.get_inline_instances(request, obj):
        if issubclass(inline.model, VersionedModel):
            fk = inline.get_formset(request, obj).fk.name
            rows += inline.get_queryset(request).filter(**{fk: obj}).count()
    return rows


def _changeable(model_admin, users):
    """(user, record): a record of the admin's list that the first of ``users`` who may
    change one may change (the newest with inline rows of a versioned model, else the
    newest), or (None, None)."""
    for user in users:
        request = _request(user)
        found = None
        for obj in model_admin.get_queryset(request).order_by("-pk")[:CANDIDATES]:
            if model_admin.has_change_permission(request, obj):
                if _inline_rows(model_admin, request, obj):
                    return user, obj
                found = found or obj
        if found is not None:
            return user, found
    return None, None


@pytest.fixture
def demo(db):
    call_command("load_demo", tickets=40, stdout=open("/dev/null", "w"))


def test_item1_every_versioned_change_form_carries_and_checks_its_version(
        client, superuser, demo):
    """As the superuser; a record only its owner may change (a claim, a requisition) as
    the demo user who may change it. Admins nobody may change by hand are skipped."""
    from django.contrib.auth import get_user_model

    users = [superuser, *get_user_model().objects.filter(is_staff=True, is_superuser=False)
             .order_by("username")]
    problems, checked, skipped, inline_rows = [], [], [], 0
    for model, model_admin in sorted(site._registry.items(), key=lambda i: i[0]._meta.label):
        if not issubclass(model, VersionedModel):
            continue
        label = model._meta.label
        try:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change",
                          args=["0"])
        except NoReverseMatch:
            continue
        user, obj = _changeable(model_admin, users)
        if obj is None:
            skipped.append(label)
            continue
        client.force_login(user)
        request = _request(user)
        url = url.replace("/0/", f"/{obj.pk}/")
        form_id = f"{model._meta.model_name}_form"

        page = client.get(url)
        assert page.status_code == 200, label
        fields = form_fields(page.content.decode(), form_id)
        names = [name for name, _ in fields]
        tokens = [value for name, value in fields if name == "_version"]
        if tokens != [str(obj.version)]:
            problems.append(f"{label} #{obj.pk}: version tokens {tokens}, "
                            f"expected [{obj.version}]")
            continue
        for inline in model_admin.get_inline_instances(request, obj):
            if not (issubclass(inline.model, VersionedModel)
                    and inline.has_change_permission(request, obj)):
                continue
            rows = [n.removesuffix("-id") for n in names
                    if n.endswith("-id") and "__prefix__" not in n
                    and n.split("-")[0] == inline.get_formset(request, obj).get_default_prefix()]
            inline_rows += len(rows)
            missing = [row for row in rows if f"{row}-_version" not in names]
            if missing:
                problems.append(f"{label} #{obj.pk}: inline rows without a token: {missing}")

        first = client.post(url, as_post(fields))
        if first.status_code != 302:
            errors = first.context and first.context.get("errors")
            problems.append(f"{label} #{obj.pk}: first save answered {first.status_code} "
                            f"{list(errors or [])}")
            continue
        second = client.post(url, as_post(fields))
        if second.status_code != 200 or STALE not in second.content.decode():
            problems.append(f"{label} #{obj.pk}: a save from the stale page answered "
                            f"{second.status_code} without the stale message")

        fresh = form_fields(client.get(url).content.decode(), form_id)
        tokenless = client.post(url, as_post(fresh, drop={"_version"}))
        if tokenless.status_code != 200 or NO_VERSION not in tokenless.content.decode():
            problems.append(f"{label} #{obj.pk}: a save without the token answered "
                            f"{tokenless.status_code} without the refusal")
        checked.append(label)
    assert not problems, "\n".join(problems)
    # the pages the issue names are among those walked
    assert {"backoffice.Ticket", "backoffice.Customer", "backoffice.Article",
            "billing.ExpenseClaim", "training.TrainingSession"} <= set(checked), (checked,
                                                                                   skipped)
    assert inline_rows, "no inline row of a versioned model was walked"


def test_item1_inline_rows_carry_and_check_their_own_version(client, superuser):
    """A contract changed on its own page while the supplier page was open: saving that
    row from the old page is refused (even as it was shown: that would write the old
    title back); a row whose shown fields nobody changed is not written, so not refused."""
    from inventory.models import SupplierContract
    from tests.inventory.factories import SupplierFactory

    supplier = SupplierFactory()
    contract = SupplierContract.objects.create(
        supplier=supplier, number="HT-2026-001", title="年度框架合同",
        valid_from="2026-01-01", valid_to="2026-12-31")
    client.force_login(superuser)
    url = reverse("admin:inventory_supplier_change", args=[supplier.pk])
    data = as_post(form_fields(client.get(url).content.decode(), "supplier_form"))
    assert data["contracts-0-_version"] == [str(contract.version)]

    contract.title = "同事改的标题"
    contract.save()  # someone else, on the contract's own page

    mine = {**data, "contracts-0-title": ["我改的标题"]}
    for stale_page in (mine, data):
        refused = client.post(url, stale_page)
        assert refused.status_code == 200 and STALE in refused.content.decode()
    without = client.post(url, {k: v for k, v in mine.items() if k != "contracts-0-_version"})
    assert without.status_code == 200 and NO_VERSION in without.content.decode()
    contract.refresh_from_db()
    assert contract.title == "同事改的标题"

    data = as_post(form_fields(client.get(url).content.decode(), "supplier_form"))
    contract.terms = "质保两年"  # a field the supplier page does not show
    contract.save()
    assert client.post(url, {**data, "name": ["新名称"]}).status_code == 302
    contract.refresh_from_db()
    supplier.refresh_from_db()
    assert (supplier.name, contract.title, contract.terms) == ("新名称", "同事改的标题", "质保两年")
