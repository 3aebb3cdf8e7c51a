"""Sidebar entries (and later dashboard figures) of the inventory app."""

#: (model name, material icon) in sidebar order; shown to users who may view the model
SIDEBAR_ITEMS: list[tuple[str, str]] = []
