"""Care's scheduled work: the daily runs that used to need cron (the management commands
``generate_maintenance_visits`` and ``generate_followups`` call the same services)."""

from django_tasks import task

from backoffice.care.services import followups_generate, maintenance_generate_due_visits


@task()
def plan_maintenance_visits() -> dict:
    """Create the maintenance visits now due (idempotent; catches up missed days)."""
    return {"planned": len(maintenance_generate_due_visits())}


@task()
def book_followups() -> dict:
    """Book the follow-up call of every recently closed ticket lacking one (the Close button
    books its own; this catches tickets closed by imports or scripts)."""
    return {"booked": len(followups_generate())}


SCHEDULE = [
    ("0 6 * * *", plan_maintenance_visits),
    ("15 6 * * *", book_followups),
]
