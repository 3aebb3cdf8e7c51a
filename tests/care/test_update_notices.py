"""Software update notices: who is on an older version, notified how, updated when, and
the return visit after the update."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from backoffice.care.models import FollowUp, UpdateRecipient
from backoffice.care.workflows import FollowUpKind, NoticeStatus, RecipientStatus
from backoffice.desk.models import InstalledProduct
from backoffice.platform.workflow import apply_transition
from tests.care.factories import NoticeFactory
from tests.factories import ContactFactory, CustomerFactory, ProductVersionFactory

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def notice():
    return NoticeFactory()


def install(customer, product, version):
    return InstalledProduct.objects.create(customer=customer, product=product, version=version)


@pytest.fixture
def fleet(notice):
    product = notice.product
    old = ProductVersionFactory(product=product, version="6.2", released_on=D(2024, 3, 1))
    newer = ProductVersionFactory(product=product, version="7.1", released_on=D(2026, 9, 1))
    customers = {name: CustomerFactory(name=name) for name in ("旧版客户", "新版客户", "更新客户",
                                                                 "未知版本客户")}
    install(customers["旧版客户"], product, old)
    install(customers["新版客户"], product, notice.new_version)
    install(customers["更新客户"], product, newer)
    install(customers["未知版本客户"], product, None)
    ContactFactory(customer=customers["旧版客户"], name="王主任", is_primary=True)
    return customers


def test_announce_notifies_customers_on_older_or_unknown_versions(notice, fleet, manager):
    apply_transition(notice, "announce", actor=manager)
    notice.refresh_from_db()
    assert notice.state == NoticeStatus.ANNOUNCED and notice.announced_by == manager
    names = sorted(r.customer.name for r in notice.recipients.all())
    assert names == ["旧版客户", "未知版本客户"]
    assert all(r.state == RecipientStatus.PENDING for r in notice.recipients.all())
    assert notice.recipients.get(customer=fleet["旧版客户"]).from_version.version == "6.2"
    assert UpdateRecipient.history.count() == 2


def test_announce_needs_release_notes_and_the_right(notice, fleet, manager, clerk):
    with pytest.raises(PermissionDenied):
        apply_transition(notice, "announce", actor=clerk)
    notice.release_notes = ""
    notice.save()
    with pytest.raises(ValidationError, match="release notes"):
        apply_transition(notice, "announce", actor=manager)
    assert not notice.recipients.exists()


def test_version_must_belong_to_the_product(notice):
    notice.new_version = ProductVersionFactory()
    with pytest.raises(ValidationError):
        notice.clean()  # full_clean() would assign the protected state field


def test_refresh_adds_newcomers_once(notice, fleet, manager):
    apply_transition(notice, "announce", actor=manager)
    late = CustomerFactory(name="新签客户")
    install(late, notice.product, ProductVersionFactory(product=notice.product, version="5.0",
                                                        released_on=D(2022, 1, 1)))
    apply_transition(notice, "refresh_recipients", actor=manager)
    apply_transition(notice, "refresh_recipients", actor=manager)
    assert notice.recipients.count() == 3
    assert notice.recipients.filter(customer=late).exists()


def test_notified_then_updated_books_the_return_visit(notice, fleet, manager, clerk, engineer):
    apply_transition(notice, "announce", actor=manager)
    recipient = notice.recipients.get(customer=fleet["旧版客户"])
    apply_transition(recipient, "notify", actor=clerk, channel="phone", contact_person="王主任")
    recipient.refresh_from_db()
    assert recipient.state == RecipientStatus.NOTIFIED and recipient.notified_by == clerk
    apply_transition(recipient, "mark_updated", actor=engineer, updated_on=D(2026, 7, 1))
    installation = InstalledProduct.objects.get(customer=fleet["旧版客户"])
    assert installation.version == notice.new_version
    assert installation.history.first().history_user == engineer
    followup = FollowUp.objects.get(update_recipient=recipient)
    assert followup.kind == FollowUpKind.UPDATE and followup.assignee == clerk
    assert followup.due_on == D(2026, 7, 8) and followup.contact.name == "王主任"
    assert followup.customer == fleet["旧版客户"]


def test_declined_customer(notice, fleet, manager, clerk):
    apply_transition(notice, "announce", actor=manager)
    recipient = notice.recipients.first()
    apply_transition(recipient, "decline", actor=clerk, note="客户合同到期")
    assert recipient.state == RecipientStatus.DECLINED
    with pytest.raises(ValidationError):
        apply_transition(recipient, "notify", actor=clerk, channel="email")


def test_mass_email_action(client, notice, fleet, manager, clerk):
    apply_transition(notice, "announce", actor=manager)
    client.force_login(clerk)
    url = reverse("admin:backoffice_updaterecipient_changelist")
    ids = list(notice.recipients.values_list("pk", flat=True))
    response = client.post(url, {"action": "notify_by_email", "_selected_action": ids})
    assert response.status_code == 302
    assert set(notice.recipients.values_list("state", flat=True)) == {RecipientStatus.NOTIFIED}
    assert set(notice.recipients.values_list("channel", flat=True)) == {"email"}


def test_notice_pages(client, notice, fleet, manager):
    client.force_login(manager)
    page = client.get(reverse("admin:backoffice_updatenotice_change", args=[notice.pk]))
    assert "2 customers would be notified" in page.content.decode()
    apply_transition(notice, "announce", actor=manager)
    for url in (reverse("admin:backoffice_updatenotice_changelist"),
                reverse("admin:backoffice_updatenotice_change", args=[notice.pk]),
                reverse("admin:backoffice_updaterecipient_changelist"),
                reverse("admin:backoffice_updaterecipient_change",
                        args=[notice.recipients.first().pk])):
        assert client.get(url).status_code == 200, url
