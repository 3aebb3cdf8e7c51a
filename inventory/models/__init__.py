"""Models of the spare-parts app (配件管理)."""

from inventory.models.catalog import (  # noqa: F401
    Part,
    PartCategory,
    Supplier,
    SupplierContract,
    SupplierEvent,
    Warehouse,
)
from inventory.models.documents import (  # noqa: F401, I001
    DisposalBatch,
    DisposalBatchEvent,
    DisposalLine,
    Requisition,
    RequisitionEvent,
    RequisitionLine,
    ScrapRequest,
    ScrapRequestEvent,
    Stocktake,
    StocktakeEvent,
    StocktakeLine,
    StockTransfer,
    StockTransferEvent,
    StockTransferLine,
)
from inventory.models.ledger import LedgerImmutable, StockBalance, StockEntry  # noqa: F401
from inventory.models.purchasing import (  # noqa: F401
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    PurchasePlan,
    PurchasePlanEvent,
    PurchasePlanLine,
)
