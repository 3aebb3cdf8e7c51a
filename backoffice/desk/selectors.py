"""Reads of the service desk that forms, filters and other domains ask for."""

from django.contrib.auth import get_user_model


def engineers():
    """Active users who may work tickets (support engineers, and managers)."""
    from django.db.models import Q

    User = get_user_model()
    perm = Q(codename="work_ticket") | Q(codename="supervise_ticket")
    return (User.objects.filter(is_active=True)
            .filter(Q(groups__permissions__in=_perms(perm)) | Q(user_permissions__in=_perms(perm))
                    | Q(is_superuser=True))
            .distinct().order_by("username"))


def _perms(q):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(q, content_type__app_label="backoffice")


def ticket_thread(ticket, limit=None):
    """The ticket's conversation, oldest first: its messages (with author and attachments)
    interleaved with the journal of its state changes. With ``limit``, only the newest
    ``limit`` entries (a long thread opens on its latest part). Returns (entries, number
    of messages, number of entries left out); a bounded number of queries, whatever its
    length."""
    from django.db.models import Prefetch

    from backoffice.desk.models import TicketAttachment
    from backoffice.platform.workflow import transition_label

    messages = (ticket.messages.select_related("author").order_by("-sent_at", "-id")
                .prefetch_related(Prefetch("attachments",
                                           queryset=TicketAttachment.objects.order_by("id"))))
    events = ticket.events.select_related("actor").order_by("-created_at", "-id")
    message_count = ticket.messages.count()
    total = message_count + ticket.events.count()
    if limit is not None:
        messages, events = messages[:limit], events[:limit]
    thread = [{"kind": "message", "at": m.sent_at, "message": m} for m in messages]
    for e in events:
        e.action_label = transition_label(type(ticket), e.action)
        thread.append({"kind": "event", "at": e.created_at, "event": e})
    thread.sort(key=lambda item: item["at"])
    if limit is not None:
        thread = thread[-limit:]
    return thread, message_count, total - len(thread)


def canned_replies(category):
    """Active canned replies for a ticket of this category (and those for every category)."""
    from django.db.models import Q

    from backoffice.desk.models import CannedReply

    return list(CannedReply.objects.filter(Q(category=category) | Q(category=""),
                                           is_active=True).order_by("title"))
