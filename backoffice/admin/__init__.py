# registers the admins: service desk, jobs, login security, knowledge base, customer care,
# reports
from backoffice.admin import care, desk, jobs, knowledge, reports, security  # noqa: F401
