"""What each role may do in the inventory app (merged into backoffice.roles.permission_matrix)."""

PERMISSIONS: dict[str, list[str]] = {}
