"""Notification mails, sent by the worker in the recipient's language."""

from django_tasks import task


@task()
def send_notification_mails(notification_ids: list[int]):
    """Placeholder until the mail templates land: nothing is sent."""
