from backoffice.admin import desk, security  # noqa: F401  (registers the admins)
