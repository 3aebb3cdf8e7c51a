"""Telling people: the in-admin inbox (with the bell's unread count) and the mails.

A domain declares the events it raises (:func:`event`, in its ``services`` module) and
calls :func:`notify` where they happen, inside the transaction of the change: the
notification rows commit with it, and the mails are handed to the background worker
only after the commit, so a slow mail server never slows a click and a refused change
mails nobody.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction

from backoffice.platform.models import Notification, NotificationSettings


@dataclass(frozen=True)
class Event:
    name: str
    label: str
    #: whether it mails users who have not chosen (their NotificationSettings)
    mail_by_default: bool = True


EVENTS: dict[str, Event] = {}


def event(name: str, label, *, mail_by_default: bool = True) -> Event:
    """Declare an event users can be notified of (idempotent)."""
    EVENTS[name] = Event(name, label, mail_by_default)
    return EVENTS[name]


def unread_key(user_id) -> str:
    return f"notifications:{user_id}:unread"


def forget_unread(user_ids):
    cache.delete_many([unread_key(pk) for pk in user_ids])


def notify(recipients, event_name: str, title: str, *, url: str = "", body: str = "",
           key: str = "", actor=None) -> list[Notification]:
    """Notify each recipient (users or user ids; the actor never notifies themselves, and
    inactive users are skipped). With ``key``, a recipient who already has a notification
    under that key gets no second one. Returns the notifications created."""
    if event_name not in EVENTS:
        raise LookupError(f"undeclared notification event {event_name!r}")
    ids = {getattr(r, "pk", r) for r in recipients if r is not None}
    ids.discard(getattr(actor, "pk", None))
    if not ids:
        return []
    ids = set(get_user_model().objects.filter(pk__in=ids, is_active=True)
              .values_list("pk", flat=True))
    if key:
        ids -= set(Notification.objects.filter(recipient_id__in=ids, key=key)
                   .values_list("recipient_id", flat=True))
    rows = [Notification(recipient_id=pk, event=event_name, title=str(title)[:300],
                         body=str(body), url=url, key=key, actor=actor) for pk in sorted(ids)]
    created = Notification.objects.bulk_create(rows, ignore_conflicts=bool(key))
    forget_unread(ids)
    mailed = [n for n in created if n.pk and wants_mail(n.recipient_id, event_name)]
    if mailed:
        ids_to_mail = [n.pk for n in mailed]
        transaction.on_commit(lambda: _enqueue_mails(ids_to_mail))
    return created


def wants_mail(user_id, event_name: str) -> bool:
    chosen = (NotificationSettings.objects.filter(user_id=user_id)
              .values_list("mail_events", flat=True).first())
    if chosen is None:
        return EVENTS[event_name].mail_by_default
    return event_name in chosen


def _enqueue_mails(notification_ids):
    from backoffice.platform.mail import send_notification_mails

    send_notification_mails.enqueue(notification_ids)
