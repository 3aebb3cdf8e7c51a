"""What each role may do in the inventory app (merged into backoffice.platform.roles.permission_matrix).

- warehouse keeper: parts, warehouses, suppliers (proposes them), receives, issues,
  counts, transfers, disposes, draws up purchase plans and orders, reverses wrong lines;
- engineer: asks for parts (requisitions), signs for them, returns them, files scrap;
- after-sales manager: approves scrap, stocktakes, purchase plans and orders, qualifies
  suppliers (never their own documents: see ``inventory.workflows``);
- clerk: reads and exports the ledger and the on-hand list;
- finance: reads purchasing and stock figures.
"""

from backoffice.platform.roles import ALL, ANY, OTHERS, OWN, crud

_reference = [*crud("inventory.part", "view"), *crud("inventory.partcategory", "view"),
              *crud("inventory.warehouse", "view"), *crud("inventory.stockbalance", "view")]
_stock_read = [*_reference, *crud("inventory.stockentry", "view")]
_purchasing_read = [*crud("inventory.supplier", "view"), *crud("inventory.suppliercontract", "view"),
                    *crud("inventory.purchaseplan", "view"), *crud("inventory.purchaseplanline", "view"),
                    *crud("inventory.purchaseorder", "view"), *crud("inventory.purchaseorderline", "view")]
_documents_read = [*crud("inventory.requisition", "view"), *crud("inventory.requisitionline", "view"),
                   *crud("inventory.stocktake", "view"), *crud("inventory.stocktakeline", "view"),
                   *crud("inventory.scraprequest", "view"),
                   *crud("inventory.disposalbatch", "view"), *crud("inventory.disposalline", "view"),
                   *crud("inventory.stocktransfer", "view"), *crud("inventory.stocktransferline", "view")]

PERMISSIONS: dict[str, list[str]] = {
    "warehouse": [
        *_stock_read, *_purchasing_read, *_documents_read,
        *crud("inventory.part", "add", "change"), *crud("inventory.partcategory", *ALL),
        *crud("inventory.warehouse", "add", "change"),
        *crud("inventory.supplier", "add", "change"),
        *crud("inventory.suppliercontract", "add", "change"),
        "inventory.reverse_stockentry", "inventory.import_opening_balance",
        "inventory.issue_requisition",
        *crud("inventory.stocktake", "add", "change"), *crud("inventory.stocktakeline", *ALL),
        "inventory.count_stocktake",
        *crud("inventory.disposalbatch", "add", "change"), *crud("inventory.disposalline", *ALL),
        "inventory.dispose_scrap",
        *crud("inventory.stocktransfer", "add", "change"),
        *crud("inventory.stocktransferline", *ALL), "inventory.post_stocktransfer",
        *crud("inventory.purchaseplan", "add", "change"), *crud("inventory.purchaseplanline", *ALL),
        *crud("inventory.purchaseorder", "add", "change"), *crud("inventory.purchaseorderline", *ALL),
        "inventory.receive_purchaseorder",
    ],
    "engineer": [
        *_stock_read, *crud("inventory.supplier", "view"),
        *crud("inventory.requisition", "view", "add", "change"),
        *crud("inventory.requisitionline", *ALL),
        *crud("inventory.scraprequest", "view", "add", "change"),
    ],
    "manager": [
        *_stock_read, *_purchasing_read, *_documents_read,
        "inventory.qualify_supplier", "inventory.approve_scraprequest",
        "inventory.approve_stocktake", "inventory.approve_purchaseplan",
        "inventory.approve_purchaseorder", "inventory.reverse_stockentry",
    ],
    "clerk": [*_stock_read],
    "finance": [*_stock_read, *_purchasing_read],
}


# who runs each workflow step (see backoffice.platform.roles.TRANSITIONS)
OWNERS = {
    "requisition": ("requester",),
    "scraprequest": ("requester",),
    "stocktake": ("started_by", "submitted_by"),
    "purchaseplan": ("created_by",),
    "purchaseorder": ("created_by",),
}

_keeper = {"warehouse": ANY}

TRANSITIONS = {
    "supplier": {name: {"manager": ANY} for name in ("qualify", "suspend", "reapply", "disqualify")},
    "requisition": {
        "submit": {"engineer": OWN},
        "cancel": {"engineer": OWN},
        "send_back": _keeper,
        "issue": _keeper,
        "confirm_receipt": {"engineer": OWN},
        "return_parts": {"engineer": OWN, "warehouse": ANY},
        "close": {"engineer": OWN, "warehouse": ANY},
    },
    "scraprequest": {
        "submit": {"engineer": OWN},
        "cancel": {"engineer": OWN},
        "approve": {"manager": OTHERS},
        "reject": {"manager": OTHERS},
        "dispose": _keeper,
    },
    "disposalbatch": {"complete": _keeper, "cancel": _keeper},
    "stocktake": {
        "start": _keeper,
        "submit": _keeper,
        "recount": {"manager": OTHERS},
        "approve": {"manager": OTHERS},
        "cancel": {"warehouse": ANY, "manager": ANY},
    },
    "stocktransfer": {"post": _keeper, "cancel": _keeper},
    "purchaseplan": {
        "submit": _keeper,
        "send_back": {"manager": OTHERS},
        "approve": {"manager": OTHERS},
        "order": _keeper,
        "cancel": _keeper,
    },
    "purchaseorder": {
        "submit": _keeper,
        "send_back": {"manager": OTHERS},
        "approve": {"manager": OTHERS},
        "receive": _keeper,
        "reopen": _keeper,
        "close": {"warehouse": ANY, "manager": ANY},
        "cancel": {"warehouse": ANY, "manager": ANY},
    },
}
