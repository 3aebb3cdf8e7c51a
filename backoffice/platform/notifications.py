"""Telling people: the in-admin inbox (with the bell's unread count) and the mails.

A domain declares the events it raises (:func:`event`, in its ``services`` module) and
calls :func:`notify` where they happen, inside the transaction of the change: the
notification rows commit with it, and the mails are handed to the background worker
only after the commit, so a slow mail server never slows a click and a refused change
mails nobody.

The inbox also shows "what needs me": live counts that every domain offers through
:func:`needs` (registered in its ``services`` or ``needs`` module), next to the approvals
the dashboard's domains already count (``platform.dashboard.pending_approvals``).
"""

import logging
from dataclasses import dataclass
from functools import cache as once

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.functional import Promise

from backoffice.platform import domains
from backoffice.platform.models import Notification, NotificationSettings

log = logging.getLogger(__name__)

#: the bell's cached count lives this long at most (a missed invalidation heals itself)
UNREAD_TTL = 300


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
    """Drop the cached counts now and again after the commit: a page drawn by another
    request between the two would otherwise cache the count without the new rows."""
    keys = [unread_key(pk) for pk in user_ids]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys), robust=True)


def unread_count(user) -> int:
    """The bell's number: from the cache, else one COUNT on the (recipient, read_at) index."""
    if not getattr(user, "is_authenticated", False):
        return 0
    key = unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_TTL)
    return count


def mark_read(user, ids=None) -> int:
    """Mark the user's notifications read (all of them, or those of ``ids``); another
    user's ids are ignored. Returns how many changed."""
    rows = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    changed = rows.update(read_at=timezone.now())
    if changed:
        forget_unread([user.pk])
    return changed


def notify(recipients, event_name: str, title, *, url: str = "", body="", key: str = "",
           actor=None) -> list[Notification]:
    """Notify each recipient (users or user ids; the actor never notifies themselves, and
    inactive users are skipped). With ``key``, a recipient who already has a notification
    under that key gets no second one. Returns the notifications created.

    ``title`` and ``body`` are text, or a lazy translation or a callable returning text:
    those two are written in each recipient's language (their mail language, else the
    site's), so the inbox and the mail speak it rather than the actor's."""
    if event_name not in EVENTS:
        raise LookupError(f"undeclared notification event {event_name!r}")
    ids = {getattr(r, "pk", r) for r in recipients if r is not None}
    ids.discard(getattr(actor, "pk", None))
    if not ids:
        return []
    choices = {pk: (language, chosen) for pk, language, chosen in
               get_user_model().objects.filter(pk__in=ids, is_active=True)
               .values_list("pk", "notification_settings__language",
                            "notification_settings__mail_events")}
    if key:
        for pk in Notification.objects.filter(recipient_id__in=choices, key=key) \
                .values_list("recipient_id", flat=True):
            choices.pop(pk, None)
    if not choices:
        return []
    texts: dict[str, tuple[str, str]] = {}
    rows = []
    for pk in sorted(choices):
        language = choices[pk][0] or settings.LANGUAGE_CODE
        if language not in texts:
            texts[language] = (_text(title, language)[:300], _text(body, language))
        row_title, row_body = texts[language]
        rows.append(Notification(recipient_id=pk, event=event_name, title=row_title,
                                 body=row_body, url=url, key=key, actor=actor))
    created = Notification.objects.bulk_create(rows, ignore_conflicts=bool(key))
    if key:  # rows inserted with ignore_conflicts come back without their ids
        created = list(Notification.objects.filter(recipient_id__in=choices, key=key,
                                                   mailed_at__isnull=True))
    forget_unread(choices)
    to_mail = [n.pk for n in created
               if n.pk and _wants(choices[n.recipient_id][1], event_name)]
    if to_mail:
        transaction.on_commit(lambda: _enqueue_mails(to_mail), robust=True)
    return created


def _text(value, language) -> str:
    if callable(value) or isinstance(value, Promise):
        with translation.override(language):
            return str(value() if callable(value) else value)
    return str(value or "")


def _wants(chosen, event_name: str) -> bool:
    if chosen is None:  # no NotificationSettings: the event's default
        return EVENTS[event_name].mail_by_default
    return event_name in chosen


def wants_mail(user_id, event_name: str) -> bool:
    chosen = (NotificationSettings.objects.filter(user_id=user_id)
              .values_list("mail_events", flat=True).first())
    return _wants(chosen, event_name)


def mailed_events(user) -> list[str]:
    """The events that mail ``user``: their choice, else every event mailed by default."""
    chosen = (NotificationSettings.objects.filter(user_id=user.pk)
              .values_list("mail_events", flat=True).first())
    if chosen is None:
        return [e.name for e in EVENTS.values() if e.mail_by_default]
    return [name for name in chosen if name in EVENTS]


def _enqueue_mails(notification_ids):
    from backoffice.platform.mail import send_notification_mails

    send_notification_mails.enqueue(notification_ids)


def permission_holders(permission: str, *, excluding=()):
    """Ids of the active staff users holding ``permission`` ("app.codename") through a
    role group or directly: who may act on what starts waiting. Superusers are not
    everybody's approvers, so holding every permission does not count here. ``excluding``:
    the document's own people (four eyes: nobody decides on their own request)."""
    app, codename = permission.split(".")
    q = (Q(groups__permissions__codename=codename,
           groups__permissions__content_type__app_label=app)
         | Q(user_permissions__codename=codename,
             user_permissions__content_type__app_label=app))
    return (get_user_model().objects.filter(q, is_active=True, is_staff=True)
            .exclude(pk__in=[pk for pk in excluding if pk is not None])
            .values_list("pk", flat=True).distinct())


def page_of(obj) -> str:
    """The admin page of a record: where a notification about it leads."""
    from django.urls import reverse

    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


# -- what needs me --------------------------------------------------------------------
@dataclass(frozen=True)
class Need:
    """One line of the inbox's summary: "Expense claims to approve: 3", linked."""

    label: str
    count: int
    url: str


_needs: dict[str, object] = {}


def needs(provider):
    """Register ``provider(user) -> [(label, count, url), ...]``: what waits for ``user``
    in a domain (a handful of aggregate queries, whatever the volume; nothing for a user
    whose role has no business there). Use as a decorator in the domain's ``services``
    or ``needs`` module."""
    _needs[f"{provider.__module__}.{provider.__qualname__}"] = provider
    return provider


@once
def _load_providers():
    """The domains register their providers when their modules are imported; import
    those that may hold some (by name, like every other domain hook)."""
    domains.modules("services")
    domains.modules("needs")


def what_needs(user) -> list[Need]:
    """What waits for ``user`` across the domains (only lines with something waiting):
    the decisions the dashboard counts first, then each domain's registered lines."""
    from backoffice.platform import dashboard

    _load_providers()
    found = [Need(str(i["title"]), int(i["count"]), i["link"])
             for i in dashboard.pending_approvals(user)]
    for name, provider in _needs.items():
        try:
            found += [Need(str(label), int(count or 0), url)
                      for label, count, url in provider(user) or ()]
        except Exception:  # one domain's broken figure must not take the inbox down
            log.exception("what-needs provider %s failed", name)
    return [n for n in found if n.count]
