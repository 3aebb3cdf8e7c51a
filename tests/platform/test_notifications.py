"""Notifications: who is told of what, the bell, the inbox, the settings and the mails
(sent to a real SMTP server, tests/smtp.py)."""

import logging
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext as _

from backoffice.platform import notifications
from backoffice.platform.mail import send_notification_mails
from backoffice.platform.models import Notification, NotificationSettings
from backoffice.platform.notifications import EVENTS, notify, unread_key
from backoffice.platform.workflow import apply_transition
from billing import services as billing
from billing.workflows import ExpenseCategory
from tests.billing.factories import submitted_claim
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

INBOX = "admin:backoffice_notification_changelist"
TEST_EVENT = notifications.event("test_event", "Something happened")


@pytest.fixture(autouse=True)
def own_cache(settings, request):
    """The bell's counts live in the cache: each test starts with an empty one."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"notifications-{request.node.name}"}}
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def titles(user):
    return list(Notification.objects.filter(recipient=user).values_list("title", flat=True))


def many(user, n, **extra):
    Notification.objects.bulk_create(
        Notification(recipient=user, event="test_event", title=f"note {i}", **extra)
        for i in range(n))
    from django.core.cache import cache

    cache.delete(unread_key(user.pk))


# -- who is told ------------------------------------------------------------------------
def test_assigning_a_ticket_notifies_the_engineer_only(clerk, engineer, manager):
    ticket = TicketFactory()
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    [note] = Notification.objects.filter(recipient=engineer)
    assert note.event == "ticket_assigned" and ticket.number in note.title
    assert note.url == reverse("admin:backoffice_ticket_change", args=[ticket.pk])
    assert note.read_at is None
    assert not titles(clerk) and not titles(manager)


def test_a_submitted_claim_notifies_its_approvers_not_the_submitter(engineer, manager,
                                                                    make_user, finance):
    submitted_claim(engineer, (ExpenseCategory.TRAVEL, "120.00"))
    assert Notification.objects.filter(recipient=manager, event="claim_to_approve").count() == 1
    assert not titles(engineer) and not titles(finance)

    # four eyes: a manager's own claim goes to the other managers, never to themselves
    other_manager = make_user("manager", "manager2")
    Notification.objects.all().delete()
    own = submitted_claim(manager, (ExpenseCategory.TRAVEL, "80.00"))
    assert titles(other_manager) and own.number in titles(other_manager)[0]
    assert not titles(manager)


def test_a_decision_goes_back_to_the_claimant_and_on_to_the_payer(engineer, manager, finance):
    claim = submitted_claim(engineer, (ExpenseCategory.TRAVEL, "120.00"))
    billing.claim_approve(claim=claim, actor=manager)
    assert Notification.objects.get(recipient=engineer).event == "claim_decided"
    assert Notification.objects.get(recipient=finance).event == "claim_to_pay"
    assert Notification.objects.filter(recipient=manager).count() == 1  # only "to approve"


def test_a_refused_step_leaves_no_notification(engineer, manager):
    """The side effect runs inside the step's transaction: a step refused later (here:
    a rejection without a reason) takes its notifications with it."""
    from django.core.exceptions import ValidationError

    claim = submitted_claim(engineer, (ExpenseCategory.TRAVEL, "120.00"))
    with pytest.raises(ValidationError):
        billing.claim_reject(claim=claim, actor=manager, reason=" ")
    assert not titles(engineer)


def test_titles_are_written_in_each_recipients_language(make_user):
    english, chinese = make_user(), make_user()
    NotificationSettings.objects.create(user=chinese, language="zh-hans")
    notify([english, chinese], "test_event", lambda: _("Approve"))
    assert titles(english) == ["Approve"] and titles(chinese) == ["批准"]


def test_a_key_notifies_each_person_once(engineer):
    for _i in range(2):
        notify([engineer], "test_event", "once", key="thing:1")
    assert titles(engineer) == ["once"]


def test_the_other_apps_tell_who_must_act(engineer, manager, warehouse, trainer, make_user):
    from inventory import workflows as iwf
    from tests.inventory.factories import PartFactory, WarehouseFactory, scrap_request
    from tests.training.factories import TrainingPlanFactory, TrainingPlanItemFactory

    main = WarehouseFactory()
    scrap = scrap_request(requester=engineer, part=PartFactory(), warehouse=main)
    apply_transition(scrap, "submit", actor=engineer)
    assert Notification.objects.get(recipient=manager).event == "scrap_to_approve"
    assert not titles(engineer) and not titles(warehouse)

    main.keeper = warehouse
    main.save()
    from tests.inventory.factories import requisition

    req = requisition(requester=engineer, warehouse=main, lines=[(PartFactory(), 1)])
    apply_transition(req, "submit", actor=engineer)
    assert Notification.objects.get(recipient=warehouse).event == "requisition_to_issue"
    assert req.state == iwf.RequisitionStatus.SUBMITTED

    plan = TrainingPlanFactory(prepared_by=trainer)
    TrainingPlanItemFactory(plan=plan)
    Notification.objects.all().delete()
    apply_transition(plan, "submit", actor=trainer)
    assert Notification.objects.get(recipient=manager).event == "training_plan_to_approve"
    apply_transition(plan, "approve", actor=manager)
    assert Notification.objects.get(recipient=trainer).event == "training_plan_decided"


@pytest.mark.parametrize("role", ["clerk", "engineer", "manager", "business", "warehouse",
                                  "trainer", "finance"])
def test_what_needs_me_works_for_every_role(role, make_user, caplog):
    user = make_user(role)
    with caplog.at_level(logging.ERROR):
        found = notifications.what_needs(user)
    assert "failed" not in caplog.text
    assert all(n.count > 0 and n.url.startswith("/") for n in found)


# -- the bell ---------------------------------------------------------------------------
def test_the_bell_shows_my_unread_count_on_an_admin_page(client, engineer, clerk):
    client.force_login(engineer)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="notification-bell"' in page and 'id="notification-count"' not in page
    assert 'id="notification-settings-link"' in page  # in the user menu
    many(engineer, 3)
    many(clerk, 5)
    page = client.get(reverse("admin:backoffice_ticket_changelist")).content.decode()
    count = re.search(r'id="notification-count"[^>]*>\s*([^<\s]+)\s*<', page)
    assert count and count.group(1) == "3"
    notifications.mark_read(engineer)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="notification-count"' not in page


def test_the_bell_costs_the_same_queries_with_0_or_50_notifications(client, engineer,
                                                                    django_assert_num_queries):
    from django.core.cache import cache

    client.force_login(engineer)
    url = reverse("admin:backoffice_ticket_changelist")
    client.get(url)
    cache.delete(unread_key(engineer.pk))
    with CaptureQueriesContext(connection) as empty:
        client.get(url)
    many(engineer, 50)
    with django_assert_num_queries(len(empty.captured_queries)):
        page = client.get(url).content.decode()
    assert ">50<" in page.replace(" ", "").replace("\n", "")
    # a cache hit costs no query at all, a miss one COUNT
    with django_assert_num_queries(len(empty.captured_queries) - 1):
        client.get(url)
    counts = [q["sql"] for q in empty.captured_queries if "backoffice_notification" in q["sql"]]
    assert len(counts) == 1 and "COUNT" in counts[0].upper()


# -- the inbox --------------------------------------------------------------------------
def test_the_inbox_lists_only_my_notifications(client, engineer, clerk, superuser):
    notify([engineer], "test_event", "for the engineer")
    notify([clerk], "test_event", "for the clerk")
    client.force_login(engineer)
    page = client.get(reverse(INBOX)).content.decode()
    assert "for the engineer" in page and "for the clerk" not in page
    client.force_login(superuser)  # a personal inbox: superusers too see only theirs
    page = client.get(reverse(INBOX)).content.decode()
    assert "for the engineer" not in page and "for the clerk" not in page


def test_unread_is_bold_and_the_filters_work(client, engineer):
    notify([engineer], "test_event", "still unread")
    read = notify([engineer], "ticket_assigned", "already read")[0]
    notifications.mark_read(engineer, [read.pk])
    client.force_login(engineer)
    page = client.get(reverse(INBOX)).content.decode()
    assert re.search(r'class="font-semibold[^"]*"[^>]*>still unread<', page)
    assert not re.search(r'class="font-semibold[^"]*"[^>]*>already read<', page)
    unread_only = client.get(reverse(INBOX) + "?unread=1").content.decode()
    assert "still unread" in unread_only and "already read" not in unread_only
    by_event = client.get(reverse(INBOX) + "?event=ticket_assigned").content.decode()
    assert "already read" in by_event and "still unread" not in by_event


def test_opening_marks_read_and_goes_to_the_page(client, engineer, clerk):
    [note] = notify([engineer], "test_event", "look", url="/admin/backoffice/ticket/")
    [theirs] = notify([clerk], "test_event", "not yours")
    client.force_login(engineer)
    assert notifications.unread_count(engineer) == 1
    response = client.get(reverse("admin:backoffice_notification_open", args=[note.pk]))
    assert response.status_code == 302 and response["Location"] == "/admin/backoffice/ticket/"
    note.refresh_from_db()
    assert note.read_at is not None and notifications.unread_count(engineer) == 0
    assert client.get(reverse("admin:backoffice_notification_open",
                              args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_an_outside_link_is_not_followed(client, engineer):
    [note] = notify([engineer], "test_event", "odd", url="https://evil.example/")
    client.force_login(engineer)
    response = client.get(reverse("admin:backoffice_notification_open", args=[note.pk]))
    assert response["Location"] == reverse(INBOX)


def test_mark_all_read_is_a_post_and_bulk_mark_read(client, engineer, clerk):
    notes = [notify([engineer], "test_event", f"n{i}")[0] for i in range(3)]
    notify([clerk], "test_event", "clerk's")
    client.force_login(engineer)
    read_all = reverse("admin:backoffice_notification_read_all")
    assert client.get(read_all).status_code == 405
    client.post(reverse(INBOX), {"action": "mark_read", "_selected_action": [notes[0].pk]})
    assert notifications.unread_count(engineer) == 2
    client.post(read_all)
    assert notifications.unread_count(engineer) == 0
    assert Notification.objects.get(recipient=clerk).read_at is None


def test_the_inbox_costs_bounded_queries(client, engineer, django_assert_max_num_queries):
    many(engineer, 3)
    client.force_login(engineer)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(INBOX)).status_code == 200
    many(engineer, 300)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse(INBOX)).content.decode()
    assert page.count("/open/") == 50  # one page
    assert len(few.captured_queries) <= 25


def test_what_needs_me_counts_the_approvals_waiting(client, engineer, manager,
                                                    django_assert_max_num_queries):
    submitted_claim(engineer, (ExpenseCategory.TRAVEL, "120.00"))
    submitted_claim(engineer, (ExpenseCategory.TRAVEL, Decimal("30.00")))
    client.force_login(manager)
    needs_url = reverse("admin:backoffice_notification_needs")
    inbox = client.get(reverse(INBOX)).content.decode()
    assert f'hx-get="{needs_url}"' in inbox  # the page fetches its summary once shown
    many(manager, 100)
    with django_assert_max_num_queries(30):  # a few counts per domain, not per notification
        summary = client.get(needs_url).content.decode()
    assert re.search(r"Expense claims to approve</a>\s*<span[^>]*>\s*<span[^>]*>\s*2\s*<",
                     summary)
    client.force_login(engineer)  # nobody approves their own claims
    assert "Expense claims to approve" not in client.get(needs_url).content.decode()


def test_one_broken_provider_does_not_take_the_inbox_down(engineer, monkeypatch, caplog):
    def broken(user):
        raise RuntimeError("boom")

    monkeypatch.setitem(notifications._needs, "tests.broken", broken)
    with caplog.at_level(logging.ERROR):
        notifications.what_needs(engineer)
    assert "tests.broken" in caplog.text


# -- settings ---------------------------------------------------------------------------
def test_settings_default_to_the_events_defaults_and_are_saved(client, engineer):
    client.force_login(engineer)
    url = reverse("admin:backoffice_notification_settings")
    page = client.get(url).content.decode()
    checked = r'[^>]*\schecked(?=[\s>/])'
    assert re.search(r'value="ticket_assigned"' + checked, page)
    assert not re.search(r'value="ticket_message"' + checked, page)  # off by default
    assert reverse("admin:backoffice_notification_settings") in client.get(
        reverse(INBOX)).content.decode()
    response = client.post(url, {"language": "zh-hans", "mail_events": ["ticket_message"]})
    assert response.status_code == 302
    saved = NotificationSettings.objects.get(user=engineer)
    assert saved.language == "zh-hans" and saved.mail_events == ["ticket_message"]
    assert notifications.wants_mail(engineer.pk, "ticket_message")
    assert not notifications.wants_mail(engineer.pk, "ticket_assigned")


# -- mails ------------------------------------------------------------------------------
def test_mails_arrive_in_each_recipients_language(make_user, clerk, smtp_settings, settings,
                                                  django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://backoffice.example.com"
    english = make_user(username="alice", email="alice@example.com")
    chinese = make_user(username="li", email="li@example.com")
    NotificationSettings.objects.create(user=chinese, language="zh-hans",
                                        mail_events=["test_event"])
    with django_capture_on_commit_callbacks(execute=True):
        notes = notify([english, chinese], "test_event", lambda: _("Approve"),
                       url="/admin/backoffice/ticket/", body="详情", actor=clerk)
    mails = {m["To"]: m for m in smtp_settings.wait_for(2)}
    en, zh = mails["alice@example.com"], mails["li@example.com"]
    assert en["Subject"] == "Approve" and zh["Subject"] == "批准"
    assert en["Content-Language"] == "en" and zh["Content-Language"] == "zh-hans"
    assert en["Auto-Submitted"] == "auto-generated"
    en_text = en.get_body(("plain",)).get_content()
    zh_text = zh.get_body(("plain",)).get_content()
    link = "https://backoffice.example.com/admin/backoffice/notification/"
    assert f"{link}{notes[0].pk}/open/" in en_text and "详情" in zh_text
    assert "年" in zh_text and "年" not in en_text  # the date, in the language's format
    assert "Open it in the back office" in en_text
    assert zh.get_body(("html",)).get_content().count("批准") == 1
    assert Notification.objects.filter(mailed_at__isnull=False).count() == 2


def test_my_choice_stops_the_mail(make_user, smtp_settings,
                                  django_capture_on_commit_callbacks):
    quiet = make_user(email="quiet@example.com")
    loud = make_user(email="loud@example.com")
    NotificationSettings.objects.create(user=quiet, mail_events=[])
    with django_capture_on_commit_callbacks(execute=True):
        notify([quiet, loud], "test_event", "hello")
    smtp_settings.wait_for(1)
    assert [m["To"] for m in smtp_settings] == ["loud@example.com"]
    assert Notification.objects.get(recipient=quiet).mailed_at is None  # still in the inbox


def test_no_address_no_mail_and_never_twice(make_user, smtp_settings,
                                            django_capture_on_commit_callbacks):
    nobody = make_user(email="")
    somebody = make_user(email="somebody@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        notes = notify([nobody, somebody], "test_event", "hi", key="k:1")  # keyed rows too
    smtp_settings.wait_for(1)
    send_notification_mails.call([n.pk for n in notes])  # a second run sends nothing
    assert [m["To"] for m in smtp_settings] == ["somebody@example.com"]


def test_a_mail_server_that_is_down_keeps_the_notification(make_user, closed_smtp_port, caplog,
                                                           django_capture_on_commit_callbacks):
    user = make_user(email="user@example.com")
    with caplog.at_level(logging.ERROR, logger="backoffice.platform.mail"):
        with django_capture_on_commit_callbacks(execute=True):
            notify([user], "test_event", "kept")
    note = Notification.objects.get(recipient=user)
    assert note.mailed_at is None and note.read_at is None
    assert "not sent" in caplog.text
    assert notifications.unread_count(user) == 1


def test_every_event_has_a_label():
    assert all(str(e.label) for e in EVENTS.values())
    for name in ("ticket_assigned", "claim_to_approve", "scrap_to_approve",
                 "stocktake_to_approve", "purchase_to_approve", "training_plan_to_approve",
                 "unhappy_followup"):
        assert name in EVENTS
