"""What every app's demo loader and data generator share: the demo users (one per role),
fixture files, progress lines and the travelling clock the demo's stories are told on.

``manage.py load_demo`` creates the users here, then runs each domain's ``demo.load``
in the order of ``settings.BACKOFFICE_DOMAINS``.
"""

import csv
import datetime as dt
from pathlib import Path

import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from backoffice.platform import roles

DEMO_PASSWORD = "Demo@2026"


def real_now() -> dt.datetime:
    """The wall clock's now, even while the demo's clock is travelled."""
    if time_machine.escape_hatch.is_travelling():
        return dt.datetime.fromtimestamp(time_machine.escape_hatch.time.time(), tz=dt.UTC)
    return timezone.now()


def at(moment: dt.datetime):
    """Run a demo step with the clock at ``moment`` (never later than the real now), so
    the step's journal entry, history row and stamps all carry the time it happened:
    ``with at(ticket.received_at): apply_transition(...)``."""
    return time_machine.travel(min(moment, real_now()), tick=False)


def on_day(day: dt.date, hour: int, minutes: int = 0) -> dt.datetime:
    """``day`` at ``hour`` local time, ``minutes`` later (a step's moment in a story)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour))) + dt.timedelta(
        minutes=minutes)


class Timeline:
    """The moments of one document's story, one after the other on a business calendar
    (``desk.sla.WorkingCalendar``: working minutes) or on the wall clock, never later
    than the real now."""

    def __init__(self, start: dt.datetime, calendar=None, now: dt.datetime | None = None):
        self.calendar, self.now = calendar, now or real_now()
        self.moment = min(start, self.now)

    def later(self, minutes: float = 0, *, wall: bool = False) -> dt.datetime:
        """Move on by ``minutes`` (working minutes unless ``wall`` or no calendar)."""
        if wall or self.calendar is None:
            moment = self.moment + dt.timedelta(minutes=minutes)
        else:
            moment = self.calendar.add(self.moment, minutes * 60)
        self.moment = min(max(moment, self.moment), self.now)
        return self.moment

    @property
    def reached_now(self) -> bool:
        """Whether the story has caught up with the real now: a step due later has not
        happened yet (the walk stops there rather than stamping it "now")."""
        return self.moment >= self.now

    def after(self, minutes: float = 0, *, wall: bool = False):
        """``with story.after(30): …`` runs the step 30 working minutes after the last."""
        return at(self.later(minutes, wall=wall))

#: username -> (role key, last name, first name)
DEMO_USERS = {
    "clerk": ("clerk", "陈", "小客"),
    "engineer": ("engineer", "李", "工"),
    "engineer2": ("engineer", "王", "技"),
    "manager": ("manager", "张", "经理"),
    "business": ("business", "赵", "商务"),
    "warehouse": ("warehouse", "刘", "库管"),
    "trainer": ("trainer", "周", "培训"),
    "finance": ("finance", "吴", "财务"),
}


def fixture_rows(app, name):
    """The rows of ``fixtures/<app>/<name>`` (demo reference data of any app)."""
    with open(Path(settings.BASE_DIR) / "fixtures" / app / name, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def say(stdout, text):
    """Progress line of a demo loader (silent when no output stream is given)."""
    if stdout:
        stdout.write(text)


def ensure_users(stdout=None):
    User = get_user_model()
    roles.sync_roles()
    admin, created = User.objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True})
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    users = {}
    for username, (role, last, first) in DEMO_USERS.items():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"is_staff": True, "last_name": last, "first_name": first,
                      "email": f"{username}@aftersales.example.cn"})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name=roles.group_name(role)))
        users[username] = user
    return users


def generated_user(username, role=None):
    """A staff user the generator invents (no password to log in with), in ``role``'s
    group when given. Shared by every app's generator."""
    user, created = get_user_model().objects.get_or_create(username=username,
                                                           defaults={"is_staff": True})
    if created:
        user.set_unusable_password()
        user.save()
    if role:
        user.groups.add(Group.objects.get(name=roles.group_name(role)))
    return user


def settle_notifications(stdout=None, unread=8):
    """The demo walked months of work in one go, so every user's inbox is full: as if they
    had read their mail, only each one's newest ``unread`` stay unread."""
    from django.utils import timezone

    from backoffice.platform.models import Notification
    from backoffice.platform.notifications import forget_unread

    users = set(Notification.objects.values_list("recipient_id", flat=True).distinct())
    for user_id in users:
        newest = list(Notification.objects.filter(recipient_id=user_id)
                      .order_by("-created_at", "-id").values_list("pk", flat=True)[:unread])
        (Notification.objects.filter(recipient_id=user_id, read_at__isnull=True)
         .exclude(pk__in=newest).update(read_at=timezone.now()))
    forget_unread(users)
    say(stdout, f"  notifications: the newest {unread} of each user's left unread")
