from backoffice.admin import (  # noqa: F401  (knowledge base, care, reports)
    care,
    desk,  # noqa: F401  (registers the service-desk admins)
    knowledge,
    reports,
)
