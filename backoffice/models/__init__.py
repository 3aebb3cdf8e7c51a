from backoffice.models.base import (  # noqa: F401
    ConcurrentEdit,
    DocumentSequence,
    JournalEntry,
    NumberedModel,
    TimeStampedModel,
    VersionedModel,
    next_numbers,
)
from backoffice.models.care import (  # noqa: F401
    FollowUp,
    FollowUpEvent,
    MaintenancePlan,
    MaintenanceVisit,
    MaintenanceVisitEvent,
    Report,
    UpdateNotice,
    UpdateNoticeEvent,
    UpdateRecipient,
    UpdateRecipientEvent,
)
from backoffice.models.desk import (  # noqa: F401
    BusinessCalendar,
    CalendarDay,
    Contact,
    Customer,
    InstalledProduct,
    Product,
    ProductVersion,
    SLAPolicy,
    Ticket,
    TicketEvent,
    WorkingPeriod,
)
from backoffice.models.jobs import DataJob, JobStatus  # noqa: F401,E402
from backoffice.models.knowledge import (  # noqa: F401
    Article,
    ArticleAttachment,
    ArticleEvent,
    ArticleUse,
)
