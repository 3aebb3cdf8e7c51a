"""Customer charges: the business manager's quotes and the customer's answer."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from backoffice.desk import workflows as desk
from backoffice.platform.workflow import apply_transition
from billing.models import CustomerCharge
from billing.workflows import ChargeStatus as S
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def charge(ticket=None, **kw):
    ticket = ticket or TicketFactory(category=desk.Category.REQUIREMENT)
    return CustomerCharge.objects.create(ticket=ticket, title="报表定制开发",
                                         amount=Decimal("28000"), **kw)


def test_quote_is_sent_and_accepted(business):
    quote = charge(created_by=business)
    assert quote.customer == quote.ticket.customer and quote.number.startswith("CQ")
    assert quote.currency == "CNY"
    apply_transition(quote, "send", actor=business)
    assert quote.state == S.SENT and quote.sent_at
    apply_transition(quote, "accept", actor=business, accepted_by="王总",
                     customer_reference="HT-2026-018")
    quote.refresh_from_db()
    assert quote.state == S.ACCEPTED and quote.accepted_by == "王总"
    assert [e.action for e in quote.events.order_by("created_at", "id")] == ["send", "accept"]


def test_declined_quote_can_be_revised_and_sent_again(business):
    quote = charge()
    apply_transition(quote, "send", actor=business)
    with pytest.raises(ValidationError, match="reason"):
        apply_transition(quote, "decline", actor=business, reason="")
    apply_transition(quote, "decline", actor=business, note="价格过高", reason="价格过高")
    assert quote.state == S.DECLINED and quote.decline_reason == "价格过高"
    apply_transition(quote, "revise", actor=business)
    assert quote.state == S.DRAFT
    apply_transition(quote, "send", actor=business)
    assert quote.state == S.SENT


@pytest.mark.parametrize("role", ["clerk", "engineer", "manager", "finance"])
def test_only_the_business_manager_handles_quotes(role, make_user):
    with pytest.raises(PermissionDenied):
        apply_transition(charge(), "send", actor=make_user(role))


def test_requirement_decided_free_cannot_be_charged(business):
    ticket = TicketFactory(category=desk.Category.REQUIREMENT, requirement_chargeable=False)
    with pytest.raises(ValidationError, match="not to charge"):
        apply_transition(charge(ticket), "send", actor=business)
    special = charge(TicketFactory(category=desk.Category.BUG), kind="special")
    apply_transition(special, "send", actor=business)  # special service on any ticket


def test_zero_amount_quote_is_not_sent(business):
    quote = charge()
    quote.amount = Decimal("0")
    quote.save()
    with pytest.raises(ValidationError, match="greater than zero"):
        apply_transition(quote, "send", actor=business)


def test_accept_needs_the_customer_signatory(business):
    quote = charge()
    apply_transition(quote, "send", actor=business)
    with pytest.raises(ValidationError):
        apply_transition(quote, "accept", actor=business, accepted_by=" ")
