"""Admin of the spare-parts app (one module per area; importing registers them)."""

from inventory.admin import catalog, documents, purchasing, stock  # noqa: F401
