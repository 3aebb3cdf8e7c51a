# registers the admins: service desk, knowledge base, customer care, reports
from backoffice.admin import care, desk, knowledge, reports  # noqa: F401
