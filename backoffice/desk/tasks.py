"""The desk's scheduled work (run by the worker, enqueued by ``manage.py run_scheduler``)."""

from django_tasks import task

from backoffice.desk import calendar_data, deadlines, mailbox


@task()
def check_deadlines() -> dict:
    """Alert tickets newly due soon or overdue (``backoffice.desk.deadlines``)."""
    return deadlines.check()


@task()
def fetch_mail() -> dict:
    """Read the support mailbox (nothing happens while MAIL_INTAKE_HOST is empty)."""
    return mailbox.fetch_mailbox()


@task()
def check_calendar_data() -> dict:
    """Load the holidays data source into every business calendar, then warn the managers
    of a year without holidays that starts within CALENDAR_WARNING_DAYS
    (``backoffice.desk.calendar_data``)."""
    return calendar_data.check()


#: (crontab in the site's time zone, task): see ``backoffice.platform.schedule``
SCHEDULE = [
    ("*/5 * * * *", check_deadlines),
    ("* * * * *", fetch_mail),
    ("30 6 * * *", check_calendar_data),
]
