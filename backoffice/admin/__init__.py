from backoffice.admin import desk, jobs, security  # noqa: F401  (registers the admins)
