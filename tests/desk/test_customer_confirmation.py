"""The customer closes the loop: a one-time signed link to a public page where they say
solved or not, rate, comment and sign; honest rating sources; the contradiction warning;
first-call answers by the clerk."""

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from backoffice.desk import services
from backoffice.desk import workflows as wf
from backoffice.desk.models import ConfirmationRequest, Ticket
from backoffice.desk.views import ticket_confirmation  # noqa: F401  (the URL's view)
from backoffice.platform.models import Notification
from backoffice.platform.roles import SYSTEM_USERNAME
from backoffice.platform.workflow import apply_transition
from tests.factories import ContactFactory, CustomerFactory, TicketFactory
from tests.knowledge.factories import resolved_ticket

pytestmark = pytest.mark.django_db
S = wf.TicketStatus
#: a real 1x1 PNG, as the signature pad posts it (a data URL)
SIGNATURE = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4"
             "2mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


@pytest.fixture
def resolved(clerk, engineer):
    customer = CustomerFactory(name="华东电力公司")
    return resolved_ticket(clerk, engineer, customer=customer,
                           contact=ContactFactory(customer=customer, name="王建国",
                                                  email="wang@customer.example"))


def send_link(client, user, ticket, **data):
    client.force_login(user)
    url = reverse("admin:backoffice_ticket_send_confirmation_link", args=[ticket.pk])
    return client.post(url, {"_form_submitted": "on", "send_mail": "on", **data})


def link_path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def answer(client, path, **data):
    values = {"outcome": "solved", "rating": "5", "comment": "", "signer_name": "王建国",
              "signature": SIGNATURE, **data}
    return client.post(path, {k: v for k, v in values.items() if v is not None},
                       HTTP_USER_AGENT="Mozilla/5.0 (iPhone) MicroMessenger/8.0",
                       REMOTE_ADDR="203.0.113.7")


def test_the_clerk_mails_a_one_time_link_and_the_customer_confirms_and_signs(
        client, clerk, resolved, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = send_link(client, clerk, resolved)
    assert "HX-Redirect" in response.headers
    request = ConfirmationRequest.objects.get(ticket=resolved)
    assert request.mailed_to == "wang@customer.example" and request.created_by == clerk
    [sent] = mail.outbox
    assert sent.to == ["wang@customer.example"] and resolved.number in sent.subject
    url = re.search(r"https?://\S+/confirm/\S+", sent.body).group(0)
    assert url == services.confirmation_url(request)

    # the ticket page offers the text to paste into WeChat/QQ/SMS, with the same link
    page = client.get(reverse("admin:backoffice_ticket_change", args=[resolved.pk]))
    assert 'id="confirmation-text"' in page.content.decode() and url in page.content.decode()

    customer = client.__class__()  # a second browser: no session
    page = customer.get(link_path(url))
    html = page.content.decode()
    assert page.status_code == 200 and resolved.number in html
    assert resolved.solution in html and "华东电力公司" in html
    assert "checked" not in html  # no preset answer, no preset rating
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]

    done = answer(customer, link_path(url), rating="5", comment="很好")
    assert done.status_code == 200 and 'id="confirmation-thanks"' in done.content.decode()
    resolved.refresh_from_db()
    assert resolved.state == S.CLOSED
    assert resolved.satisfaction == 5 and resolved.confirmed_by == "王建国"
    assert resolved.satisfaction_source == wf.RatingSource.CUSTOMER_LINK
    assert resolved.confirmation_entered_by is None and resolved.confirmation_doubt == ""
    request.refresh_from_db()
    assert request.answered_at and request.signature == SIGNATURE
    assert request.ip_address == "203.0.113.7" and "MicroMessenger" in request.user_agent
    steps = list(resolved.events.order_by("id").values_list("action", "actor__username"))
    assert steps[-2:] == [("confirm", SYSTEM_USERNAME), ("close", SYSTEM_USERNAME)]
    assert "王建国" in resolved.events.get(action="confirm").note
    # the answer is on the conversation, from the customer
    assert resolved.messages.filter(direction=wf.MessageDirection.FROM_CUSTOMER,
                                    channel=wf.Channel.WEB, sender="王建国").exists()

    # used once: the same link no longer opens the page, and says nothing about the ticket
    again = customer.get(link_path(url))
    assert again.status_code == 404 and resolved.number not in again.content.decode()
    assert answer(customer, link_path(url)).status_code == 404


def test_not_solved_reopens_the_ticket_to_its_engineer_with_the_comment(
        client, clerk, engineer, resolved):
    request = services.request_confirmation(resolved, actor=clerk, send_mail=False)
    path = link_path(services.confirmation_url(request))
    response = answer(client, path, outcome="not_solved", rating=None, signature="",
                      comment="升级后还是报同样的错误")
    assert response.status_code == 200
    resolved.refresh_from_db()
    assert resolved.state == S.IN_PROGRESS and resolved.assignee == engineer
    assert resolved.satisfaction is None and resolved.resolved_at is None
    reopen = resolved.events.get(action="reopen")
    assert "升级后还是报同样的错误" in reopen.note and reopen.actor.username == SYSTEM_USERNAME
    bell = Notification.objects.get(recipient=engineer, event="ticket_not_solved")
    assert resolved.number in bell.title
    assert client.get(path).status_code == 404


def test_not_solved_needs_a_comment_and_solved_needs_a_rating_and_a_signature(
        client, clerk, resolved):
    request = services.request_confirmation(resolved, actor=clerk, send_mail=False)
    path = link_path(services.confirmation_url(request))
    for data in ({"outcome": "not_solved", "rating": None, "comment": ""},
                 {"rating": None}, {"signature": ""},
                 {"signature": "data:image/png;base64,AAAA"},  # not a PNG
                 {"signature": "data:text/html;base64,PGI+"}):
        response = answer(client, path, **data)
        assert response.status_code == 200 and 'class="errorlist' in response.content.decode()
    resolved.refresh_from_db()
    assert resolved.state == S.RESOLVED and request.__class__.objects.get(
        pk=request.pk).answered_at is None


def test_a_low_rating_or_still_broken_is_not_closed_silently(client, clerk, manager,
                                                             resolved):
    request = services.request_confirmation(resolved, actor=clerk, send_mail=False)
    answer(client, link_path(services.confirmation_url(request)), rating="4",
           comment="问题根本没有解决，还是报错")
    resolved.refresh_from_db()
    assert resolved.state == S.CONFIRMED and "还是报错" in resolved.confirmation_doubt
    assert Notification.objects.filter(recipient=clerk, event="confirmation_doubted").exists()

    client.force_login(clerk)
    html = client.get(reverse("admin:backoffice_ticket_change", args=[resolved.pk])
                      ).content.decode()
    assert 'id="confirmation-doubt"' in html and "confirmation-signature" in html
    assert "transition/close_anyway" in html and "transition/close/" not in html
    # "Close and archive" is still there, disabled, saying why
    assert re.search(r'<button type="button" aria-disabled="true"[^>]*data-transition="close"',
                     html)
    assert "the customer&#x27;s confirmation contradicts itself" in html
    with pytest.raises(ValidationError, match="contradicts itself"):
        apply_transition(resolved, "close", actor=clerk)
    refused = client.post(reverse("admin:backoffice_ticket_transition_close_anyway",
                                  args=[resolved.pk]), {"_form_submitted": "on", "note": ""})
    resolved.refresh_from_db()
    assert resolved.state == S.CONFIRMED, refused
    client.post(reverse("admin:backoffice_ticket_transition_close_anyway", args=[resolved.pk]),
                {"_form_submitted": "on", "note": "电话回访：客户指的是另一个模块，已另开工单"})
    resolved.refresh_from_db()
    assert resolved.state == S.CLOSED
    assert resolved.events.get(action="close_anyway").note.startswith("电话回访")


@pytest.mark.parametrize("rating,comment,doubt", [
    (1, "", True), (2, "ok", True), (3, "", False), (5, "still fails after the patch", True),
    (5, "Not fixed", True), (4, "仍然无法登录", True), (5, "解决了", False)])
def test_which_confirmations_raise_a_doubt(rating, comment, doubt):
    assert bool(wf.confirmation_doubt(rating, comment)) is doubt


def test_an_expired_link_no_longer_works(client, clerk, resolved):
    request = services.request_confirmation(resolved, actor=clerk, send_mail=False)
    ConfirmationRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now())
    path = link_path(services.confirmation_url(request))
    assert client.get(path).status_code == 404
    assert answer(client, path).status_code == 404
    resolved.refresh_from_db()
    assert resolved.state == S.RESOLVED


def test_a_forged_or_altered_token_is_refused(client, clerk, resolved):
    request = services.request_confirmation(resolved, actor=clerk, send_mail=False)
    token = services.confirmation_token(request)
    base = reverse("ticket_confirmation", args=[resolved.number, "X"])[:-2]
    value, signature = token.rsplit(":", 1)
    other_pk = f"{request.pk + 1}{value[value.index('.'):]}"
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"),  # altered signature
                   f"{other_pk}:{signature}",                         # altered content
                   f"{value}:{'0' * len(signature)}", "nonsense", f"{value}"):
        assert client.get(f"{base}{forged}/").status_code == 404, forged
        assert answer(client, f"{base}{forged}/").status_code == 404
    resolved.refresh_from_db()
    assert resolved.state == S.RESOLVED
    assert client.get(f"{base}{token}/").status_code == 200  # the real one still works


def test_a_token_for_another_ticket_is_refused(client, clerk, engineer, resolved):
    other = resolved_ticket(clerk, engineer)
    request = services.request_confirmation(resolved, actor=clerk, send_mail=False)
    token = services.confirmation_token(request)
    # the same valid token under the other ticket's number
    path = reverse("ticket_confirmation", args=[other.number, token])
    assert client.get(path).status_code == 404
    assert answer(client, path).status_code == 404
    for ticket in (resolved, other):
        ticket.refresh_from_db()
        assert ticket.state == S.RESOLVED


def test_a_newer_link_withdraws_the_older(client, clerk, resolved):
    first = services.request_confirmation(resolved, actor=clerk, send_mail=False)
    second = services.request_confirmation(resolved, actor=clerk, send_mail=False)
    assert client.get(link_path(services.confirmation_url(first))).status_code == 404
    assert client.get(link_path(services.confirmation_url(second))).status_code == 200


def test_the_page_is_rate_limited(client, clerk, resolved, settings):
    settings.CONFIRMATION_RATE_LIMIT = "3/m"
    request = services.request_confirmation(resolved, actor=clerk, send_mail=False)
    path = link_path(services.confirmation_url(request))
    codes = [client.get(path, REMOTE_ADDR="198.51.100.9").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    # guessing tokens counts too: a forged link from that address is not even looked up
    assert client.get(path[:-3] + "xx/", REMOTE_ADDR="198.51.100.9").status_code == 429
    assert client.get(path, REMOTE_ADDR="198.51.100.10").status_code == 200  # someone else


def test_staff_signed_in_are_not_offered_the_customers_form(client, clerk, engineer,
                                                            resolved):
    request = services.request_confirmation(resolved, actor=clerk, send_mail=False)
    path = link_path(services.confirmation_url(request))
    client.force_login(engineer)
    page = client.get(path).content.decode()
    assert 'id="staff-notice"' in page and 'id="confirmation-form"' not in page
    answer(client, path)
    resolved.refresh_from_db()
    assert resolved.state == S.RESOLVED


def test_the_page_speaks_chinese_by_default_and_english_when_asked(client, clerk, resolved,
                                                                  settings):
    settings.LANGUAGE_CODE = "zh-hans"
    request = services.request_confirmation(resolved, actor=clerk, send_mail=False)
    path = link_path(services.confirmation_url(request))
    chinese = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert 'lang="zh-hans"' in chinese
    english = client.get(path + "?lang=en").content.decode()
    assert 'lang="en"' in english and "Is the problem solved?" in english


def test_only_a_resolved_ticket_gets_a_link_and_only_from_those_who_may(clerk, engineer,
                                                                        business, resolved):
    with pytest.raises(PermissionDenied):
        services.request_confirmation(resolved, actor=business, send_mail=False)
    services.request_confirmation(resolved, actor=engineer, send_mail=False)  # the engineer may
    apply_transition(resolved, "reopen", actor=clerk, note="客户来电说还有问题")
    with pytest.raises(ValidationError, match="resolved"):
        services.request_confirmation(resolved, actor=clerk, send_mail=False)
    # a contact without an address: the mail is refused, the text still works
    resolved_ticket_no_mail = resolved_ticket(clerk, engineer)
    with pytest.raises(ValidationError, match="e-mail"):
        services.request_confirmation(resolved_ticket_no_mail, actor=clerk)


def test_resolving_sends_the_link_by_itself_when_configured(clerk, engineer, settings,
                                                            django_capture_on_commit_callbacks):
    settings.CONFIRMATION_REQUEST_ON_RESOLVE = True
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = resolved_ticket(clerk, engineer, customer=customer, contact=ContactFactory(
            customer=customer, email="li@customer.example"))
    request = ConfirmationRequest.objects.get(ticket=ticket)
    assert request.created_by is None and request.mailed_to == "li@customer.example"
    assert any(services.confirmation_url(request) in m.body for m in mail.outbox)


# -- ratings taken by staff ------------------------------------------------------------------
def test_a_phone_confirmation_has_no_preset_rating_and_records_its_source(client, clerk,
                                                                          resolved):
    client.force_login(clerk)
    url = reverse("admin:backoffice_ticket_transition_confirm", args=[resolved.pk])
    client.post(url, {"_form_submitted": "on", "confirmed_by": "王建国"})  # no rating
    resolved.refresh_from_db()
    assert resolved.state == S.RESOLVED
    client.post(url, {"_form_submitted": "on", "confirmed_by": "王建国", "satisfaction": "4"})
    resolved.refresh_from_db()
    assert resolved.state == S.CONFIRMED and resolved.satisfaction == 4
    assert resolved.satisfaction_source == wf.RatingSource.PHONE
    assert resolved.confirmation_entered_by == clerk


# -- first-call answers ----------------------------------------------------------------------
def test_a_clerk_answers_a_usage_question_on_the_first_call(client, clerk, manager):
    ticket = TicketFactory(category=wf.Category.OPERATION)
    client.force_login(clerk)
    html = client.get(reverse("admin:backoffice_ticket_change", args=[ticket.pk])
                      ).content.decode()
    assert "transition/resolve_on_first_contact" in html
    client.post(reverse("admin:backoffice_ticket_transition_resolve_on_first_contact",
                        args=[ticket.pk]),
                {"_form_submitted": "on", "answer": "在【系统设置-打印】中勾选“套打”即可"})
    ticket.refresh_from_db()
    assert ticket.state == S.RESOLVED and ticket.assignee is None
    assert ticket.first_contact_resolution and ticket.resolved_by == clerk
    assert ticket.solution.startswith("在【系统设置") and ticket.first_response_at
    # the clerk who answered never rates it; a colleague does
    with pytest.raises(PermissionDenied):
        apply_transition(ticket, "confirm", actor=clerk, confirmed_by="x", satisfaction=5)
    # not solved after all: back to the desk to be assigned
    apply_transition(ticket, "reopen_to_desk", actor=manager, note="客户说还是不会")
    ticket.refresh_from_db()
    assert ticket.state == S.NEW and not ticket.first_contact_resolution
    assert ticket.resolved_by is None


def test_bugs_are_not_answered_on_the_first_call(clerk):
    ticket = TicketFactory(category=wf.Category.BUG)
    with pytest.raises(ValidationError, match="first call"):
        apply_transition(ticket, "resolve_on_first_contact", actor=clerk, answer="重启试试")
    assert Ticket.objects.get(pk=ticket.pk).state == S.NEW


def test_the_customers_page_costs_a_query_or_two(client, clerk, resolved,
                                                 django_assert_max_num_queries):
    request = services.request_confirmation(resolved, actor=clerk, send_mail=False)
    path = link_path(services.confirmation_url(request))
    with django_assert_max_num_queries(2):
        assert client.get(path).status_code == 200


def test_reopening_or_a_phone_confirmation_withdraws_the_waiting_link(client, clerk, manager,
                                                                      engineer, resolved):
    request = services.request_confirmation(resolved, actor=clerk, send_mail=False)
    path = link_path(services.confirmation_url(request))
    apply_transition(resolved, "reopen", actor=clerk, note="客户来电说还有问题")
    apply_transition(resolved, "resolve", actor=engineer)
    assert client.get(path).status_code == 404  # the old resolution's link stays dead
    second = services.request_confirmation(resolved, actor=clerk, send_mail=False)
    apply_transition(resolved, "confirm", actor=manager, confirmed_by="王建国", satisfaction=5)
    assert client.get(link_path(services.confirmation_url(second))).status_code == 404
    assert ConfirmationRequest.objects.filter(ticket=resolved,
                                              withdrawn_at__isnull=False).count() == 2


def test_the_front_desk_finds_contradicting_confirmations_in_what_needs_me(
        client, clerk, manager, resolved):
    request = services.request_confirmation(resolved, actor=clerk, send_mail=False)
    answer(client, link_path(services.confirmation_url(request)), rating="1")
    client.force_login(manager)
    page = client.get(reverse("admin:backoffice_notification_needs")).content.decode()
    line = "Confirmations that contradict themselves"
    assert line in page and "confirmation_doubt__gt=" in page
    listed = client.get(reverse("admin:backoffice_ticket_changelist")
                        + "?state__exact=confirmed&confirmation_doubt__gt=").content.decode()
    assert resolved.number in listed
