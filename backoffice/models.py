"""Every model of the ``backoffice`` app, where Django looks for them.

The models live in the platform and in the desk's domains; importing them here gives
them the app label ``backoffice`` (their tables and migrations stay as they were).
Code imports a model from its domain (``backoffice.desk.models``), not from here.
"""

from backoffice.care.models import (  # noqa: F401
    FollowUp,
    FollowUpEvent,
    MaintenancePlan,
    MaintenanceVisit,
    MaintenanceVisitEvent,
    UpdateNotice,
    UpdateNoticeEvent,
    UpdateRecipient,
    UpdateRecipientEvent,
)
from backoffice.desk.models import (  # noqa: F401
    BusinessCalendar,
    CalendarDay,
    CallSpotCheck,
    CannedReply,
    ConfirmationRequest,
    Contact,
    Customer,
    InboundMail,
    InboundMailEvent,
    InstalledProduct,
    Product,
    ProductVersion,
    ServiceRecordReview,
    ServiceRecordReviewEvent,
    SLAPolicy,
    Ticket,
    TicketAttachment,
    TicketClockSpan,
    TicketEvent,
    TicketMessage,
    TimeEntry,
    WorkingPeriod,
)
from backoffice.incidents.models import (  # noqa: F401
    ContingencyPlan,
    Incident,
    IncidentAction,
    IncidentEvent,
    IncidentFollowUp,
    IncidentNotice,
    IncidentTicket,
    PlanContact,
    PlanStep,
    Problem,
    ProblemEvent,
    ProblemTicket,
)
from backoffice.knowledge.models import (  # noqa: F401
    Article,
    ArticleAttachment,
    ArticleEvent,
    ArticleUse,
)
from backoffice.platform.models import (  # noqa: F401
    DataJob,
    DocumentSequence,
    ImportSubmission,
    Notification,
    NotificationSettings,
)
from backoffice.reports.models import Report  # noqa: F401
