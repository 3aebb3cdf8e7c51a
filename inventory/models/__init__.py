"""Models of the spare-parts app (配件管理)."""

from inventory.models.catalog import (  # noqa: F401
    Part,
    PartCategory,
    Supplier,
    SupplierContract,
    SupplierEvent,
    Warehouse,
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
from inventory.models.requisitions import (  # noqa: F401
    Requisition,
    RequisitionEvent,
    RequisitionLine,
)
from inventory.models.scrap import (  # noqa: F401
    DisposalBatch,
    DisposalBatchEvent,
    DisposalLine,
    ScrapRequest,
    ScrapRequestEvent,
)
from inventory.models.stocktakes import Stocktake, StocktakeEvent, StocktakeLine  # noqa: F401
from inventory.models.transfers import (  # noqa: F401
    StockTransfer,
    StockTransferEvent,
    StockTransferLine,
)
