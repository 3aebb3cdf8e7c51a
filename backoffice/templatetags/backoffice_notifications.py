"""The bell's number in the admin header (``unfold/helpers/header.html``)."""

from django import template

from backoffice.platform import notifications

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """The signed-in user's unread count: cached, one indexed COUNT on a miss."""
    request = context.get("request")
    return notifications.unread_count(getattr(request, "user", None))
