"""The business calendar (working hours, holidays) and the response-time targets."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.desk.workflows import Priority
from backoffice.platform.models import TimeStampedModel


class BusinessCalendar(TimeStampedModel):
    name = models.CharField(_("name"), max_length=100, unique=True)
    is_default = models.BooleanField(_("default calendar"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self):
        return self.name

    @classmethod
    def default(cls):
        return cls.objects.filter(is_default=True).first() or cls.objects.first()


class WorkingPeriod(models.Model):
    class Weekday(models.IntegerChoices):
        MON = 0, _("Monday")
        TUE = 1, _("Tuesday")
        WED = 2, _("Wednesday")
        THU = 3, _("Thursday")
        FRI = 4, _("Friday")
        SAT = 5, _("Saturday")
        SUN = 6, _("Sunday")

    calendar = models.ForeignKey(BusinessCalendar, models.CASCADE, related_name="periods",
                                 verbose_name=_("calendar"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("to"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working hours")
        ordering = ["weekday", "start"]
        constraints = [models.CheckConstraint(condition=models.Q(end__gt=models.F("start")),
                                              name="working_period_end_after_start")]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class CalendarDay(models.Model):
    """A public holiday or a make-up working day (调休) of one calendar.

    ``source`` says who put it there: the data source's load (``desk.calendar_data``)
    rewrites only its own rows, never a day a person imported or entered."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday (no work)")
        WORKDAY = "workday", _("Make-up working day")

    class Source(models.TextChoices):
        DATA_SOURCE = "source", _("Data source")
        IMPORT = "import", _("Import")
        MANUAL = "manual", _("Entered by hand")

    calendar = models.ForeignKey(BusinessCalendar, models.CASCADE, related_name="days",
                                 verbose_name=_("calendar"))
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices,
                              default=Source.MANUAL)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("holiday or make-up day")
        verbose_name_plural = _("holidays and make-up days")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"],
                                               name="uniq_calendar_day")]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}"


class SLAPolicy(TimeStampedModel):
    """Response and resolution targets, in working minutes, per priority (and VIP)."""

    name = models.CharField(_("name"), max_length=100)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices)
    for_vip = models.BooleanField(_("for VIP customers"), default=False)
    response_minutes = models.PositiveIntegerField(_("response within (working minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolve within (working minutes)"))
    round_the_clock = models.BooleanField(
        _("round the clock"), default=False,
        help_text=_("The clock also runs outside working hours and on holidays."))
    calendar = models.ForeignKey(BusinessCalendar, models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("calendar"))
    rnd_pauses_clock = models.BooleanField(
        _("waiting for R&D pauses the clock"), default=True,
        help_text=_("Off: the customer's clock keeps running while a product fix is awaited "
                    "(the contract promises a resolution time whoever fixes it)."))
    # what each support level may hold a ticket for (its own working time, waits excluded)
    first_line_minutes = models.PositiveIntegerField(
        _("1st line holds it at most (working minutes)"), null=True, blank=True)
    second_line_minutes = models.PositiveIntegerField(
        _("2nd line holds it at most (working minutes)"), null=True, blank=True)
    third_line_minutes = models.PositiveIntegerField(
        _("3rd line holds it at most (working minutes)"), null=True, blank=True)
    history = HistoricalRecords()

    #: what re-plans the open tickets' deadlines when it is edited
    PLANNING_FIELDS = ("priority", "for_vip", "response_minutes", "resolution_minutes",
                       "round_the_clock", "calendar", "rnd_pauses_clock")

    class Meta:
        verbose_name = _("response-time target")
        verbose_name_plural = _("response-time targets")
        ordering = ["priority", "for_vip"]
        constraints = [models.UniqueConstraint(fields=["priority", "for_vip"],
                                               name="uniq_sla_priority_vip")]

    def __str__(self):
        return self.name

    def level_target_seconds(self, level) -> int | None:
        """The working seconds support level ``level`` may hold a ticket (None: no target)."""
        minutes = {1: self.first_line_minutes, 2: self.second_line_minutes,
                   3: self.third_line_minutes}.get(int(level))
        return None if minutes is None else minutes * 60

    @classmethod
    def for_ticket(cls, ticket):
        vip = bool(ticket.customer_id and ticket.customer.is_vip)
        policies = {p.for_vip: p for p in cls.objects.filter(priority=ticket.priority)}
        return policies.get(vip) or policies.get(False)
