from backoffice.admin import desk  # noqa: F401  (registers the service-desk admins)
