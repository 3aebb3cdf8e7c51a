"""The service desk: customers, products, the business calendar, SLA policies, tickets."""

from backoffice.desk.models.calendars import (  # noqa: F401
    BusinessCalendar,
    CalendarDay,
    SLAPolicy,
    WorkingPeriod,
)
from backoffice.desk.models.clock import TicketClockSpan  # noqa: F401
from backoffice.desk.models.confirmation import ConfirmationRequest  # noqa: F401
from backoffice.desk.models.conversation import (  # noqa: F401
    CannedReply,
    InboundMail,
    InboundMailEvent,
    TicketAttachment,
    TicketMessage,
)
from backoffice.desk.models.customers import (  # noqa: F401
    Contact,
    Customer,
    InstalledProduct,
    Product,
    ProductVersion,
)
from backoffice.desk.models.review import (  # noqa: F401
    ServiceRecordReview,
    ServiceRecordReviewEvent,
)
from backoffice.desk.models.spotchecks import CallSpotCheck  # noqa: F401
from backoffice.desk.models.tickets import Ticket, TicketEvent, TicketQuerySet  # noqa: F401
from backoffice.desk.models.time import TimeEntry  # noqa: F401
