"""Customer care after the fix: maintenance plans and visits, software update notices,
follow-up calls and satisfaction surveys (回访)."""

from backoffice.care.models.followups import (  # noqa: F401
    RATING_VALIDATORS,
    FollowUp,
    FollowUpEvent,
)
from backoffice.care.models.maintenance import (  # noqa: F401
    MAX_LEAD_DAYS,
    MaintenancePlan,
    MaintenanceVisit,
    MaintenanceVisitEvent,
    add_months,
    advance,
)
from backoffice.care.models.updates import (  # noqa: F401
    UpdateNotice,
    UpdateNoticeEvent,
    UpdateRecipient,
    UpdateRecipientEvent,
    version_key,
)
