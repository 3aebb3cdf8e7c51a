"""Deadline (SLA) alerts: a ticket about to miss, or having missed, its response or
resolution deadline is told to the people who can still do something, once per stage.

:func:`check` runs every five minutes in the worker (``backoffice.desk.tasks``). Only open
tickets whose clock runs are read, through the ``(state, due)`` indexes, so it costs six
queries when nothing changed, whatever the size of the table; alerts go out in batches
with a fixed number of queries each. ``Ticket.sla_alert`` remembers the last alert sent
and is stamped with a queryset update: the ticket is never saved, so neither its version
(a colleague's open form stays valid) nor ``updated_at`` nor its history moves.

Each notification's key names the deadline it is about (``ticket:42:breached:resolution:
<timestamp>``), so even a stamp lost to a concurrent save never alerts twice, and a
deadline that moved (the customer replied, the clock resumed) alerts afresh.
"""

import datetime as dt
from itertools import batched

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.desk.workflows import SLAAlert
from backoffice.platform.models import Notification
from backoffice.platform.notifications import EVENTS, event, forget_unread, permission_holders
from backoffice.platform.people import display_name_of

TICKET_DUE_SOON = event("ticket_due_soon",
                        gettext_lazy("A ticket of mine is about to miss a deadline"))
TICKET_BREACHED = event("ticket_breached", gettext_lazy("A ticket missed its deadline"))

#: tickets alerted per transaction (each batch costs the same few queries)
BATCH_SIZE = 500


def late_response(at) -> Q:
    """The first response, still missing, is due before ``at``."""
    return Q(first_response_at__isnull=True, response_due__lt=at)


def late(at) -> Q:
    """A deadline of the ticket passes before ``at`` (the response counts until answered)."""
    return late_response(at) | Q(resolution_due__lt=at)


def check(now=None, *, batch_size: int = BATCH_SIZE) -> dict:
    """Re-arm the tickets whose deadlines moved away, then alert the newly breached and the
    newly due soon. Returns how many of each.

    Every query puts a range (or IS NULL) on one deadline column next to the state, so it
    reads the ``(state, due)`` index: with nine tickets in ten closed, SQLite's statistics
    alone (no value histogram) would scan the table for ``state IN (...)``. Hence two
    queries where one OR would read more naturally; six in all when nothing changed."""
    now = now or timezone.now()
    soon = now + dt.timedelta(minutes=settings.SLA_DUE_SOON_MINUTES)
    running = Ticket.objects.filter(wf.clock_runs())
    BREACHED, DUE_SOON, NONE = SLAAlert.BREACHED, SLAAlert.DUE_SOON, SLAAlert.NONE

    # re-arm: alerted, but the deadline has moved away (resumed after waiting, answered)
    moved = ((Q(sla_alert=BREACHED) & ~late_response(now))
             | (Q(sla_alert=DUE_SOON) & ~late_response(soon)))
    # found by reading (a read takes no write lock on SQLite), then updated by key
    found = set(running.filter(moved, resolution_due__gte=now)
                .exclude(sla_alert=DUE_SOON, resolution_due__lt=soon)
                .order_by().values_list("pk", flat=True))
    found |= set(running.filter(moved, resolution_due__isnull=True)
                 .order_by().values_list("pk", flat=True))
    rearmed = 0
    for chunk in batched(sorted(found), batch_size):
        rearmed += running.filter(moved, ~late(now), pk__in=chunk).exclude(
            sla_alert=DUE_SOON, resolution_due__lt=soon).update(sla_alert=NONE)

    people = _People()
    breached = _alert(
        [running.filter(resolution_due__lt=now).exclude(sla_alert=BREACHED),
         running.filter(late_response(now)).exclude(sla_alert=BREACHED)],
        running.filter(late(now)).exclude(sla_alert=BREACHED), BREACHED, now, people,
        batch_size)
    due_soon = _alert(
        [running.filter(~late_response(now), resolution_due__gte=now, resolution_due__lt=soon,
                        sla_alert=NONE),
         running.filter(first_response_at__isnull=True, response_due__gte=now,
                        response_due__lt=soon, sla_alert=NONE).exclude(resolution_due__lt=now)],
        running.filter(late(soon), ~late(now), sla_alert=NONE), DUE_SOON, soon, people,
        batch_size)
    return {"breached": breached, "due_soon": due_soon, "rearmed": rearmed}


class _People:
    """Who hears of tickets nobody is assigned to, and who supervises: read once a run."""

    def __init__(self):
        self._cache = {}

    def holding(self, permission: str) -> set[int]:
        if permission not in self._cache:
            self._cache[permission] = set(permission_holders(permission))
        return self._cache[permission]

    def assigners(self):
        return self.holding("backoffice.assign_ticket")

    def supervisors(self):
        return self.holding("backoffice.supervise_ticket")


FIELDS = ("pk", "number", "subject", "assignee_id", "assignee__username",
          "assignee__first_name", "assignee__last_name", "response_due", "resolution_due",
          "first_response_at")


def _alert(finders, candidates, stage, before, people, batch_size) -> int:
    """Alert the tickets the ``finders`` (index-friendly querysets) find, in batches; each
    batch re-reads them under ``candidates`` (the same condition in one piece), so a
    ticket changed meanwhile drops out."""
    ids = sorted(set().union(*(finder.order_by().values_list("pk", flat=True)
                               for finder in finders)))
    alerted = 0
    for chunk in batched(ids, batch_size):
        with transaction.atomic():
            rows = list(candidates.filter(pk__in=chunk).order_by().values(*FIELDS))
            _notify_many([_message(row, stage, before, people) for row in rows])
            Ticket.objects.filter(pk__in=[row["pk"] for row in rows]).update(sla_alert=stage)
        alerted += len(rows)
    return alerted


def _deadline(row, before):
    """("response" | "resolution", when) of the earliest deadline passing before ``before``."""
    dues = []
    if row["first_response_at"] is None and row["response_due"] and row["response_due"] < before:
        dues.append(("response", row["response_due"]))
    if row["resolution_due"] and row["resolution_due"] < before:
        dues.append(("resolution", row["resolution_due"]))
    return min(dues, key=lambda due: due[1])


def _message(row, stage, before, people) -> dict:
    """The alert of one ticket; title and body are written later in each recipient's
    language (callables, as ``notifications.notify`` takes them)."""
    kind, due = _deadline(row, before)
    values = {"number": row["number"], "subject": row["subject"],
              "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")}
    if stage == SLAAlert.BREACHED:
        def title():
            return (_("%(number)s missed its first-response deadline (%(due)s): %(subject)s")
                    if kind == "response" else
                    _("%(number)s missed its resolution deadline (%(due)s): %(subject)s")) % values
    else:
        def title():
            return (_("First response to %(number)s due by %(due)s: %(subject)s")
                    if kind == "response" else
                    _("Resolution of %(number)s due by %(due)s: %(subject)s")) % values
    if row["assignee_id"]:
        recipients = {row["assignee_id"]}
        def body():
            name = display_name_of(row["assignee__first_name"], row["assignee__last_name"],
                                   row["assignee__username"])
            return _("Engineer: %(name)s") % {"name": name}
    else:
        recipients = set(people.assigners())

        def body():
            return _("Nobody is assigned to it yet.")
    if stage == SLAAlert.BREACHED:
        recipients |= people.supervisors()
    return {"recipients": recipients,
            "event": (TICKET_BREACHED if stage == SLAAlert.BREACHED else TICKET_DUE_SOON).name,
            "title": title, "body": body,
            "url": reverse("admin:backoffice_ticket_change", args=[row["pk"]]),
            "key": f"ticket:{row['pk']}:{stage}:{kind}:{int(due.timestamp())}"}


def _notify_many(messages):
    """``notifications.notify`` for a batch of messages in a fixed number of queries: active
    recipients only, once per recipient and key, each in their language, and the mails
    handed to the worker after the commit to those who want them (their choice, else the
    event's default)."""
    if not messages:
        return
    everyone = set().union(*(m["recipients"] for m in messages))
    choices = {pk: (language, chosen) for pk, language, chosen in
               get_user_model().objects.filter(pk__in=everyone, is_active=True)
               .values_list("pk", "notification_settings__language",
                            "notification_settings__mail_events")}
    keys = [m["key"] for m in messages]
    have = set(Notification.objects.filter(key__in=keys, recipient_id__in=choices)
               .values_list("recipient_id", "key"))
    stamp = timezone.now()  # tells this batch's rows from any a racing run inserts
    rows = []
    for m in messages:
        texts = {}
        for pk in sorted(m["recipients"] & choices.keys()):
            if (pk, m["key"]) in have:
                continue
            language = choices[pk][0] or settings.LANGUAGE_CODE
            if language not in texts:
                with translation.override(language):
                    texts[language] = (str(m["title"]())[:300], str(m["body"]()))
            title, body = texts[language]
            rows.append(Notification(recipient_id=pk, event=m["event"], title=title, body=body,
                                     url=m["url"], key=m["key"], created_at=stamp))
    if not rows:
        return
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    forget_unread({row.recipient_id for row in rows})
    created = Notification.objects.filter(key__in=keys, created_at=stamp) \
        .values_list("pk", "recipient_id", "event")
    to_mail = [pk for pk, user_id, name in created
               if (EVENTS[name].mail_by_default if choices[user_id][1] is None
                   else name in choices[user_id][1])]
    if to_mail:
        transaction.on_commit(lambda: _send_mails(to_mail), robust=True)


def _send_mails(notification_ids):
    from backoffice.platform.mail import send_notification_mails

    send_notification_mails.enqueue(notification_ids)
