"""Who reads the weekly and monthly reports (merged into
``platform.roles.permission_matrix``)."""

PERMISSIONS: dict[str, list[str]] = {
    "manager": ["backoffice.view_report"],
    "finance": ["backoffice.view_report"],
}

OWNERS: dict[str, tuple[str, ...]] = {}
TRANSITIONS: dict[str, dict] = {}
