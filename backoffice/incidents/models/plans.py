"""The library of contingency plans (应急预案): steps with owners and times, a call list."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.incidents.workflows import IncidentKind, Severity
from backoffice.platform.models import VersionedModel
from backoffice.platform.roles import ROLES

#: a step's owner role: the role's group name (stable, both languages)
ROLE_CHOICES = [(key, name) for key, (name, _description) in ROLES.items()]


class PlanQuerySet(models.QuerySet):
    def proposed_for(self, kind, severity=""):
        """Active plans of the kind, those for exactly this severity first, then those for
        any severity."""
        plans = self.filter(is_active=True, kind=kind)
        if severity:
            plans = plans.filter(models.Q(severity=severity) | models.Q(severity=""))
        return plans.order_by(models.F("severity").desc(nulls_last=True), "name")


class ContingencyPlan(VersionedModel):
    """What to do, who does it and whom to call when an emergency of this kind starts."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=IncidentKind.choices,
                            db_index=True)
    severity = models.CharField(_("for severity"), max_length=8, choices=Severity.choices,
                                blank=True, help_text=_("Empty: for every severity."))
    description = models.TextField(_("scope and goals"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("contingency plan")
        verbose_name_plural = _("contingency plans")
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name


class PlanStep(models.Model):
    """One step of a plan, in order: who does it, how long it should take."""

    plan = models.ForeignKey(ContingencyPlan, models.CASCADE, related_name="steps",
                             verbose_name=_("contingency plan"))
    position = models.PositiveSmallIntegerField(_("order"), default=1)
    title = models.CharField(_("step"), max_length=200)
    owner_role = models.CharField(_("owner (role)"), max_length=16, blank=True,
                                  choices=ROLE_CHOICES)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("owner (person)"))
    expected_minutes = models.PositiveIntegerField(_("expected time (minutes)"), null=True,
                                                   blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("plan step")
        verbose_name_plural = _("plan steps")
        ordering = ["plan", "position", "id"]

    def __str__(self):
        return f"{self.position}. {self.title}"

    def owner_label(self) -> str:
        if self.owner_id:
            return str(self.owner)
        return self.get_owner_role_display() if self.owner_role else ""


class PlanContact(models.Model):
    """One line of the plan's call list."""

    plan = models.ForeignKey(ContingencyPlan, models.CASCADE, related_name="contacts",
                             verbose_name=_("contingency plan"))
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("user"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("call-list entry")
        verbose_name_plural = _("call list")
        ordering = ["plan", "id"]

    def __str__(self):
        return f"{self.name} {self.phone}"
