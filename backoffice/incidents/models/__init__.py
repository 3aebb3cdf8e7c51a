"""Emergencies and problem records (a package: one module per document)."""

from backoffice.incidents.models.incidents import (
    Incident,
    IncidentAction,
    IncidentEvent,
    IncidentFollowUp,
    IncidentNotice,
    IncidentTicket,
)
from backoffice.incidents.models.plans import ContingencyPlan, PlanContact, PlanStep
from backoffice.incidents.models.problems import Problem, ProblemEvent, ProblemTicket

__all__ = ["ContingencyPlan", "Incident", "IncidentAction", "IncidentEvent", "IncidentFollowUp",
           "IncidentNotice", "IncidentTicket", "PlanContact", "PlanStep", "Problem",
           "ProblemEvent", "ProblemTicket"]
