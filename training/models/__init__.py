from training.models.appraisals import (  # noqa: F401
    Appraisal,
    AppraisalEvent,
    AppraisalPeriod,
    KpiTarget,
)
from training.models.plans import (  # noqa: F401
    SessionAttendee,
    TrainingNeed,
    TrainingNeedEvent,
    TrainingPlan,
    TrainingPlanEvent,
    TrainingPlanItem,
    TrainingSession,
    TrainingSessionEvent,
)
