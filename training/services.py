"""Writes of the training app that go beyond one document's transition.

State changes themselves always go through ``backoffice.platform.workflow.apply_transition``;
the appraisal figures are written here, in bulk and with one history row per appraisal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from backoffice.platform.notifications import (
    event,
    needs,
    notify,
    page_of,
    permission_holders,
)
from backoffice.platform.people import display_name
from backoffice.platform.workflow import apply_transition, side_effect
from training import selectors
from training.models import (
    Appraisal,
    AppraisalPeriod,
    KpiTarget,
    TrainingNeed,
    TrainingPlan,
    TrainingSession,
)
from training.workflows import (
    ROLE_DEFAULT_TARGETS,
    AppraisalSource,
    AppraisalStatus,
    TrainingNeedStatus,
    TrainingSessionStatus,
)

#: fields the computation writes
FIGURE_FIELDS = ["role", "source", "computed_at", "targets", *Appraisal.COUNT_FIELDS,
                 *Appraisal.KPI_FIELDS]

_COUNT_MAP = {  # Appraisal field -> KpiCounts attribute
    "tickets_received": "received", "tickets_received_resolved": "received_resolved",
    "tickets_resolved": "resolved", "tickets_rated": "rated",
    "tickets_satisfied": "satisfied", "tickets_rated_by_link": "rated_by_link",
    "tickets_responded": "responded", "tickets_response_measured": "response_measured",
    "tickets_answered_in_time": "answered_in_time", "tickets_closed": "closed",
    "records_complete": "records_complete", "records_reviewed": "records_reviewed",
    "tickets_first_contact": "first_contact",
    "tickets_held": "held",
    "calls_forwarded": "forwarded", "forward_seconds": "forward_seconds",
    "first_contact_questions": "questions",
    "first_contact_answered": "answered_first", "followups_due": "followups_due",
    "followups_on_time": "followups_on_time", "spot_checks": "spot_checks",
}


@dataclass
class GenerateResult:
    created: list[Appraisal] = field(default_factory=list)
    updated: list[Appraisal] = field(default_factory=list)
    skipped: list[Appraisal] = field(default_factory=list)

    def __str__(self):
        return _("%(created)d created, %(updated)d recomputed, %(skipped)d left as they are "
                 "(reviewed, acknowledged or imported)") % {
            "created": len(self.created), "updated": len(self.updated),
            "skipped": len(self.skipped)}


def _require_reviewer(actor):
    if actor is None or not actor.is_active or not actor.has_perm("training.review_appraisal"):
        raise PermissionDenied(_("Only the after-sales manager computes appraisals."))


def ensure_default_targets() -> None:
    """Create the KPI targets the manager has not configured yet, with each role's
    defaults."""
    existing = set(KpiTarget.objects.values_list("role", "kpi"))
    missing = [KpiTarget(role=role, kpi=kpi, target=value)
               for role, defaults in ROLE_DEFAULT_TARGETS.items()
               for kpi, value in defaults.items() if (role, kpi) not in existing]
    if missing:
        bulk_create_with_history(missing, KpiTarget, default_change_reason="default targets")


def period_for(month: dt.date) -> AppraisalPeriod:
    period, _created = AppraisalPeriod.objects.get_or_create(month=month.replace(day=1))
    return period


def _fill(appraisal: Appraisal, counts: selectors.KpiCounts, role: str, targets: dict,
          now) -> None:
    """The figures, and the targets of the person's role they are judged by."""
    appraisal.role = role
    appraisal.source = AppraisalSource.COMPUTED
    appraisal.computed_at = now
    appraisal.targets = targets[role]
    for name, attr in _COUNT_MAP.items():
        setattr(appraisal, name, getattr(counts, attr))
    for kpi, value in counts.figures.items():
        setattr(appraisal, kpi, value)


@transaction.atomic
def appraisals_generate(*, period: AppraisalPeriod, actor) -> GenerateResult:
    """Create or recompute the period's draft appraisal of every support staff member.

    One grouped query computes everybody's figures; new appraisals are bulk-created and
    computed drafts bulk-updated, each with a history row. Reviewed, acknowledged and
    imported appraisals are left alone (recompute an imported draft explicitly to
    replace its figures).
    """
    _require_reviewer(actor)
    ensure_default_targets()
    kpis = selectors.ticket_kpis(period.month)
    appraised = selectors.appraised_roles(kpis)
    staff = set(appraised)
    targets = selectors.kpi_targets_by_role()
    now = timezone.now()
    existing = {a.employee_id: a
                for a in Appraisal.objects.select_for_update().filter(period=period)}
    result = GenerateResult()
    for employee_id in sorted(staff | set(existing)):
        appraisal = existing.get(employee_id)
        counts = kpis.get(employee_id) or selectors.KpiCounts()
        role = appraised.get(employee_id) or (appraisal.role if appraisal else None)
        if appraisal is None:
            appraisal = Appraisal(period=period, employee_id=employee_id)
            _fill(appraisal, counts, role, targets, now)
            result.created.append(appraisal)
        elif (appraisal.state == AppraisalStatus.DRAFT
              and appraisal.source == AppraisalSource.COMPUTED):
            _fill(appraisal, counts, role, targets, now)
            appraisal.version += 1
            result.updated.append(appraisal)
        else:
            result.skipped.append(appraisal)
    if result.created:
        bulk_create_with_history(result.created, Appraisal, default_user=actor,
                                 default_change_reason="computed", default_date=now)
    if result.updated:
        bulk_update_with_history(result.updated, Appraisal, [*FIGURE_FIELDS, "version"],
                                 default_user=actor, default_change_reason="recomputed",
                                 default_date=now)
    return result


@transaction.atomic
def appraisals_recompute(*, appraisals, actor) -> GenerateResult:
    """Recompute the given appraisals' figures from the tickets; drafts only.

    One grouped query per period involved (restricted to the people concerned); an
    imported draft becomes a computed one. Non-drafts are reported as skipped.
    """
    _require_reviewer(actor)
    ids = [a.pk for a in appraisals]
    locked = list(Appraisal.objects.select_for_update().select_related("period")
                  .filter(pk__in=ids))
    result = GenerateResult()
    by_period: dict[int, list[Appraisal]] = {}
    for appraisal in locked:
        if appraisal.state != AppraisalStatus.DRAFT:
            result.skipped.append(appraisal)
        else:
            by_period.setdefault(appraisal.period_id, []).append(appraisal)
    targets = selectors.kpi_targets_by_role()
    now = timezone.now()
    people = {a.employee_id for group in by_period.values() for a in group}
    appraised = selectors.appraised_roles({}, employee_ids=people) if people else {}
    for group in by_period.values():
        month = group[0].period.month
        kpis = selectors.ticket_kpis(month, employee_ids=[a.employee_id for a in group])
        for appraisal in group:
            _fill(appraisal, kpis.get(appraisal.employee_id) or selectors.KpiCounts(),
                  appraised[appraisal.employee_id], targets, now)
            appraisal.version += 1
            result.updated.append(appraisal)
    if result.updated:
        bulk_update_with_history(result.updated, Appraisal, [*FIGURE_FIELDS, "version"],
                                 default_user=actor, default_change_reason="recomputed",
                                 default_date=now)
    return result


def appraisal_recompute(*, appraisal: Appraisal, actor) -> Appraisal:
    """Recompute one appraisal; refused unless it is a draft."""
    result = appraisals_recompute(appraisals=[appraisal], actor=actor)
    if not result.updated:
        raise ValidationError(_("Only draft appraisals are recomputed; this one is “%(state)s”.")
                              % {"state": appraisal.get_state_display()})
    return result.updated[0]


def _shift_year(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def plan_copy(*, plan, actor, year: int | None = None):
    """A new draft plan for ``year`` (default: the next one) with the items of ``plan``,
    dates moved to that year; the needs are not carried over (collect them again)."""
    from training.models import TrainingPlan, TrainingPlanItem

    if actor is None or not actor.has_perm("training.add_trainingplan"):
        raise PermissionDenied(_("You may not create training plans."))
    year = year or plan.year + 1
    copy = TrainingPlan(year=year, title=plan.title.replace(str(plan.year), str(year)),
                        goals=plan.goals, prepared_by=actor)
    copy._history_user = actor
    copy._change_reason = f"copied from {plan.number}"
    copy.save()
    shift = year - plan.year
    items = [TrainingPlanItem(
        plan=copy, seq=item.seq, title=item.title, content=item.content,
        audience=item.audience, method=item.method, product_id=item.product_id,
        planned_start=_shift_year(item.planned_start, shift),
        planned_end=_shift_year(item.planned_end, shift), trainer_kind=item.trainer_kind,
        trainer_id=item.trainer_id, external_trainer=item.external_trainer,
        budget_estimate=item.budget_estimate, pass_mark=item.pass_mark)
        for item in plan.items.order_by("seq")]
    bulk_create_with_history(items, TrainingPlanItem, default_user=actor,
                             default_change_reason=f"copied from {plan.number}")
    return copy


@side_effect(TrainingPlan, "approve")
def plan_needs_answered(plan, *, actor) -> int:
    """An approved plan plans the open training needs its items answer."""
    needs = TrainingNeed.objects.filter(plan_items__plan=plan,
                                        state=TrainingNeedStatus.OPEN).distinct()
    count = 0
    for need in needs:
        apply_transition(need, "plan", actor=actor,
                         note=_("Answered by approved plan %(number)s") % {"number": plan.number})
        count += 1
    return count


# -- whom training tells (notifications) ----------------------------------------------------
# A submitted plan goes to those who may approve it (never whoever prepared or submitted
# it), the decision back to them; a reviewed appraisal waits for its employee, whose
# objection goes back to the reviewer. Titles are built in each recipient's language.


TRAINING_PLAN_TO_APPROVE = event("training_plan_to_approve",
                                 gettext_lazy("A training plan waits for my approval"))
TRAINING_PLAN_DECIDED = event("training_plan_decided",
                              gettext_lazy("A training plan of mine was approved or rejected"))
APPRAISAL_TO_ACKNOWLEDGE = event("appraisal_to_acknowledge",
                                 gettext_lazy("My appraisal waits for my acknowledgement"))
APPRAISAL_DISPUTED = event("appraisal_disputed",
                           gettext_lazy("Someone objected to an appraisal I reviewed"))


@side_effect(TrainingPlan, "submit")
def tell_plan_approvers(plan, actor):
    notify(permission_holders("training.approve_trainingplan",
                              excluding=(plan.prepared_by_id, actor.pk)),
           TRAINING_PLAN_TO_APPROVE.name,
           lambda: _("Training plan %(number)s to approve: %(title)s")
           % {"number": plan.number, "title": plan.title},
           url=page_of(plan), body=plan.goals, actor=actor)


@side_effect(TrainingPlan, "approve")
def tell_plan_approved(plan, actor):
    notify([plan.prepared_by_id, plan.submitted_by_id], TRAINING_PLAN_DECIDED.name,
           lambda: _("Training plan %(number)s was approved") % {"number": plan.number},
           url=page_of(plan), actor=actor)


@side_effect(TrainingPlan, "reject")
def tell_plan_rejected(plan):
    notify([plan.prepared_by_id, plan.submitted_by_id], TRAINING_PLAN_DECIDED.name,
           lambda: _("Training plan %(number)s was sent back for changes")
           % {"number": plan.number},
           url=page_of(plan))


@side_effect(Appraisal, "review")
def tell_employee_reviewed(appraisal, actor):
    notify([appraisal.employee_id], APPRAISAL_TO_ACKNOWLEDGE.name,
           lambda: _("Your appraisal for %(period)s is reviewed: acknowledge it or object")
           % {"period": appraisal.period},
           url=page_of(appraisal), actor=actor)


@side_effect(Appraisal, "dispute")
def tell_reviewer_disputed(appraisal):
    employee = appraisal.employee
    notify([appraisal.reviewed_by_id], APPRAISAL_DISPUTED.name,
           lambda: _("%(who)s objected to their appraisal for %(period)s")
           % {"who": display_name(employee),
              "period": appraisal.period},
           url=page_of(appraisal), actor=employee)


@needs
def what_waits_in_training(user):
    """Besides the approvals the dashboard counts: sessions whose time has passed and
    that nobody marked held or cancelled, for those who run sessions (one query)."""
    if not user.has_perm("training.run_trainingsession"):
        return []
    now = timezone.now()
    late = (TrainingSession.objects.filter(state=TrainingSessionStatus.PLANNED)
            .filter(Q(ends_at__lt=now) | Q(ends_at__isnull=True, starts_at__lt=now)).count())
    return [(gettext_lazy("Past sessions to mark held or cancelled"), late,
             reverse("admin:training_trainingsession_changelist")
             + f"?state__exact={TrainingSessionStatus.PLANNED}")]
