"""Notification mails, sent by the worker in the recipient's language.

Each mail is claimed before it is sent (``mailed_at`` set only where it was still empty),
so two workers, or a task enqueued twice, never send one notification twice; a mail the
server refused gives its claim back and is logged. Either way the notification stays in
the inbox: the mail is a copy, not the record.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from backoffice.platform.models import Notification

log = logging.getLogger(__name__)


def absolute(path: str) -> str:
    """A link for a mail: there is no request in a worker to take the host from."""
    if not path or "://" in path:
        return path
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def language_of(notification) -> str:
    chosen = getattr(getattr(notification.recipient, "notification_settings", None),
                     "language", "")
    return chosen or settings.LANGUAGE_CODE


def render(notification) -> EmailMultiAlternatives:
    """The mail of one notification, in its recipient's language."""
    from backoffice.platform.notifications import EVENTS

    language = language_of(notification)
    with translation.override(language):
        event = EVENTS.get(notification.event)
        context = {
            "notification": notification, "recipient": notification.recipient,
            "event_label": str(event.label) if event else notification.event,
            # the open view marks it read (the bell agrees) and goes on to its page
            "link": absolute(reverse("admin:backoffice_notification_open",
                                     args=[notification.pk])) if notification.url else "",
            "inbox_link": absolute(reverse("admin:backoffice_notification_changelist")),
            "settings_link": absolute(reverse("admin:backoffice_notification_settings")),
        }
        subject = " ".join(render_to_string("backoffice/notifications/mail_subject.txt",
                                            context).split())
        text = render_to_string("backoffice/notifications/mail_body.txt", context)
        html = render_to_string("backoffice/notifications/mail_body.html", context)
    mail = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [notification.recipient.email],
        headers={"Auto-Submitted": "auto-generated", "Content-Language": language,
                 "X-Auto-Response-Suppress": "All"})
    mail.attach_alternative(html, "text/html")
    return mail


@task()
def send_notification_mails(notification_ids: list[int]):
    """Mail each notification to its recipient (skipping those without an address);
    one connection to the mail server for the batch. Returns how many were sent."""
    pending = list(Notification.objects.filter(pk__in=notification_ids, mailed_at__isnull=True)
                   .exclude(recipient__email="")
                   .select_related("recipient", "recipient__notification_settings")
                   .order_by("pk"))
    if not pending:
        return 0
    connection = get_connection()
    try:
        connection.open()
    except Exception:  # the server is down: every notification stays unmailed, in the inbox
        log.exception("mail server unreachable: %d notification mail(s) not sent", len(pending))
        return 0
    sent = 0
    try:
        for notification in pending:
            claimed = Notification.objects.filter(pk=notification.pk, mailed_at__isnull=True) \
                .update(mailed_at=timezone.now())
            if not claimed:  # another worker took it
                continue
            try:
                mail = render(notification)
                mail.connection = connection
                mail.send()
            except Exception:
                log.exception("notification %s to %s not mailed", notification.pk,
                              notification.recipient.email)
                Notification.objects.filter(pk=notification.pk).update(mailed_at=None)
            else:
                sent += 1
    finally:
        try:
            connection.close()
        except Exception:
            log.warning("closing the mail connection failed", exc_info=True)
    return sent
