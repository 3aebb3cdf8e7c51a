"""A large, realistic stock history for benchmarks (``manage.py generate_data``).

Called after the service desk's tickets exist: for ``scale`` tickets it books about
``scale / 2`` stock ledger lines over the tickets' years — an opening stock, issues to
(existing) tickets and some returns, purchase receipts triggered by the reorder point,
transfers between the two parts warehouses, quarterly stocktake adjustments, scrap into
the scrap area and monthly disposals out of it.

Bulk inserts only, no history rows (synthetic volume, not audited work); works on SQLite
and PostgreSQL. The ledger is simulated in chronological order in Python with running
balances, so no balance ever goes below zero, and the balance rows are written from the
same running totals: balance = sum(ledger) holds exactly (``manage.py check_stock``).
Reference data gets ``G-`` codes so it never clashes with the demo data. Running it again
adds more volume on top of the current balances and keeps the invariant.
"""

import datetime as dt
import heapq
import itertools
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from backoffice.desk import workflows as desk_wf
from backoffice.desk.models import Ticket
from backoffice.platform.bulk import insert_rows, secondary_indexes_dropped
from backoffice.platform.demo import generated_user
from inventory.models import Part, PartCategory, StockBalance, StockEntry, Supplier, Warehouse
from inventory.workflows import EntryKind, SupplierStatus, WarehouseKind

K = EntryKind
PART_COUNT = 300  # at full scale; a small run (tests) gets fewer
CATEGORIES = [("G-CAT-HW", "服务器硬件"), ("G-CAT-NET", "网络设备"), ("G-CAT-PC", "终端配件"),
              ("G-CAT-PRN", "打印耗材"), ("G-CAT-PWR", "电源与线缆")]
PART_NAMES = {
    "G-CAT-HW": [("硬盘", "块"), ("内存条", "条"), ("RAID卡", "块"), ("主板", "块"), ("CPU风扇", "个")],
    "G-CAT-NET": [("交换机", "台"), ("光模块", "个"), ("无线AP", "台"), ("网卡", "块"), ("路由器", "台")],
    "G-CAT-PC": [("键盘", "个"), ("鼠标", "个"), ("显示器", "台"), ("固态硬盘", "块"), ("扫码枪", "把")],
    "G-CAT-PRN": [("硒鼓", "个"), ("色带", "盒"), ("打印头", "个"), ("定影组件", "套"), ("搓纸轮", "个")],
    "G-CAT-PWR": [("电源模块", "个"), ("UPS电池", "块"), ("网线", "根"), ("电源线", "根"), ("光纤跳线", "根")],
}
BRANDS = ["华为", "联想", "浪潮", "新华三", "戴尔", "惠普", "希捷", "金士顿", "爱普生", "锐捷"]
WAREHOUSES = [("G-WH-BJ", "北京配件仓", WarehouseKind.MAIN, "北京市海淀区"),
              ("G-WH-SH", "上海配件仓", WarehouseKind.MAIN, "上海市浦东新区"),
              ("G-SCRAP", "报废区", WarehouseKind.SCRAP, "北京市海淀区")]
SUPPLIERS = ["神州数码", "英迈中国", "佳杰科技", "伟仕佳杰", "长虹佳华", "紫光数码", "翰林汇",
             "天音通信", "爱施德", "润和信息", "华胜天成", "东华软件"]
ADJUST_REASONS = ["盘盈", "盘亏", "计数差错", "包装破损"]  # even: gains, odd: losses


def _reference_data(rng, part_count):
    """G- categories, warehouses, suppliers and parts (bulk, no history), created once."""
    PartCategory.objects.bulk_create(
        [PartCategory(code=c, name=n) for c, n in CATEGORIES
         if not PartCategory.objects.filter(code=c).exists()])
    categories = dict(PartCategory.objects.filter(code__startswith="G-")
                      .values_list("code", "id"))
    existing = set(Warehouse.objects.filter(code__startswith="G-").values_list("code", flat=True))
    Warehouse.objects.bulk_create([Warehouse(code=c, name=n, kind=k, address=a)
                                   for c, n, k, a in WAREHOUSES if c not in existing])
    today = timezone.localdate()
    existing = set(Supplier.objects.filter(code__startswith="G-").values_list("code", flat=True))
    Supplier.objects.bulk_create([
        Supplier(code=f"G-S{i + 1:02d}", name=f"{name}(生成)", state=SupplierStatus.QUALIFIED,
                 qualified_until=today + dt.timedelta(days=365), contact_person=f"联系人{i + 1}",
                 phone=f"010-8888{i:04d}")
        for i, name in enumerate(SUPPLIERS) if f"G-S{i + 1:02d}" not in existing])
    suppliers = list(Supplier.objects.filter(code__startswith="G-").order_by("code")
                     .values_list("id", flat=True))
    existing = set(Part.objects.filter(code__startswith="G-P").values_list("code", flat=True))
    parts = []
    for i in range(part_count):
        code = f"G-P{i + 1:04d}"
        category = CATEGORIES[i % len(CATEGORIES)][0]
        name, unit = PART_NAMES[category][(i // len(CATEGORIES)) % 5]
        cost = Decimal(rng.choice([15, 30, 60, 120, 250, 480, 900, 1800, 3500]))
        reorder = rng.choice([5, 8, 10, 15, 20, 30])
        part = Part(code=code, name=f"{rng.choice(BRANDS)}{name}", unit=unit,
                    specification=f"型号 {rng.randint(100, 999)}", model_number=f"M{i + 1:04d}",
                    category_id=categories[category], unit_cost=cost,
                    safety_stock=reorder // 2, reorder_point=reorder,
                    reorder_quantity=reorder * rng.choice([1, 2, 2, 3]),
                    preferred_supplier_id=suppliers[i % len(suppliers)])
        if code not in existing:
            parts.append(part)
    Part.objects.bulk_create(parts)
    parts = list(Part.objects.filter(code__startswith="G-P").order_by("code")
                 .values("id", "unit_cost", "reorder_point", "reorder_quantity",
                         "preferred_supplier__name"))
    warehouses = {c: pk for c, pk in Warehouse.objects.filter(code__startswith="G-")
                  .values_list("code", "id")}
    return parts, [warehouses["G-WH-BJ"], warehouses["G-WH-SH"]], warehouses["G-SCRAP"]


def _sample_tickets(rng, wanted):
    """About ``wanted`` worked-on tickets (id, received_at, assignee), read in one pass."""
    eligible = Ticket.objects.exclude(state=desk_wf.TicketStatus.NEW).exclude(assignee=None)
    total = eligible.count()
    if not total or wanted <= 0:
        return []
    p = min(1.0, wanted / total)
    rows = eligible.order_by().values_list("id", "received_at", "assignee_id")
    return [row for row in rows.iterator(chunk_size=10_000) if rng.random() < p]


def generate(scale, seed=1, stdout=None, batch=5_000):
    rng = random.Random(seed * 7919 + 17)
    say = stdout.write if stdout else (lambda *_: None)
    target = max(100, scale // 2)
    now = timezone.now()

    with transaction.atomic():
        parts, mains, scrap_wh = _reference_data(rng, min(PART_COUNT, max(20, scale // 20)))
        keeper = generated_user("gen_keeper").pk
    say(f"{len(parts)} parts in {len(mains) + 1} warehouses")

    # transfers, scrap, stocktakes and disposals make ~19% of the lines, the opening stock
    # one per part × parts warehouse; the rest are issues (a ticket takes 1.25 parts on
    # average) with ~12% returns and ~8% purchase receipts on top
    opening = len(parts) * len(mains)
    tickets = _sample_tickets(rng, int(max(0.81 * target - opening, 0.4 * target) / 1.5))
    start = min((t[1] for t in tickets), default=now - dt.timedelta(days=365 * 4))
    span = (now - start).total_seconds()
    # popular parts are issued far more often (Zipf-like)
    weights = list(itertools.accumulate(1 / (i + 1) ** 0.8 for i in range(len(parts))))
    seq = itertools.count()
    events: list = []  # heap of (when, seq, kind, data)

    def push(when, kind, data):
        heapq.heappush(events, (when, next(seq), kind, data))

    for ticket_id, received, assignee in tickets:
        wh = mains[0] if rng.random() < 0.6 else mains[1]
        for part in rng.choices(range(len(parts)), cum_weights=weights,
                                k=1 if rng.random() < 0.75 else 2):
            when = received + dt.timedelta(minutes=rng.randint(30, 60 * 48))
            push(min(when, now), "issue", (ticket_id, assignee, part, wh,
                                           rng.choices([1, 2, 3, 4], [70, 18, 8, 4])[0]))
    if span > 0:
        for _ in range(int(target * 0.04)):  # transfers: two lines each
            push(start + dt.timedelta(seconds=rng.random() * span), "transfer", None)
        for _ in range(int(target * 0.02)):  # scrap: two lines each
            push(start + dt.timedelta(seconds=rng.random() * span), "scrap",
                 rng.choice(tickets)[0] if tickets and rng.random() < 0.6 else None)
        day = timezone.localtime(start).replace(hour=17, minute=0, second=0, microsecond=0)
        stocktakes = []
        while day < now:
            if day.day == 28:
                push(day, "disposal", None)
                if day.month % 3 == 0:
                    stocktakes.extend((day + dt.timedelta(hours=1), wh) for wh in mains)
            day += dt.timedelta(days=1)
        per_stocktake = max(1, int(target * 0.05 / max(1, len(stocktakes))))
        for when, wh in stocktakes:
            push(when, "stocktake", (wh, per_stocktake))

    # -- running balances, starting from what is already booked ---------------------------
    part_ids = [p["id"] for p in parts]
    balance = {(pk, wh): 0 for pk in part_ids for wh in [*mains, scrap_wh]}
    existing = {(p, w): q for p, w, q in StockBalance.objects.filter(
        part_id__in=part_ids, warehouse_id__in=[*mains, scrap_wh])
        .values_list("part_id", "warehouse_id", "quantity")}
    balance.update(existing)
    has_lines = set(StockEntry.objects.filter(part_id__in=part_ids).order_by()
                    .values_list("part_id", "warehouse_id").distinct())
    on_order: set = set()
    touched: set = set()
    counters = {k: 0 for k in K.values}
    pending: list[dict] = []
    written = 0
    numbers = itertools.count(StockEntry.objects.filter(reference__startswith="G-").count() + 1)

    def book(part, wh, qty, kind, when, **links):
        nonlocal written
        info = parts[part]
        key = (info["id"], wh)
        balance[key] += qty
        touched.add(key)
        assert balance[key] >= 0, (key, balance[key])
        counters[kind] += 1
        pending.append({"part_id": info["id"], "warehouse_id": wh, "kind": kind,
                        "quantity": qty, "unit_cost": links.pop("unit_cost", info["unit_cost"]),
                        "posted_at": when, "actor_id": keeper, **links})
        if len(pending) >= batch:
            insert_rows(StockEntry, pending, batch_size=batch)
            written += len(pending)
            pending.clear()
            say(f"{written} stock ledger lines")

    def receive(part, wh, when, qty=None):
        info = parts[part]
        qty = qty or info["reorder_quantity"] or 10
        price = (info["unit_cost"] * Decimal(rng.choice(["0.95", "1.00", "1.00", "1.05"])))
        book(part, wh, qty, K.RECEIPT, when, unit_cost=price.quantize(Decimal("0.01")),
             reference=f"G-PO{next(numbers):07d}",
             note=f"送货单 {info['preferred_supplier__name'] or ''}".strip()[:300])
        on_order.discard((part, wh))

    def maybe_reorder(part, wh, when):
        info = parts[part]
        if (balance[(info["id"], wh)] <= info["reorder_point"] and (part, wh) not in on_order):
            on_order.add((part, wh))
            arrival = when + dt.timedelta(days=rng.randint(2, 14), hours=rng.randint(0, 8))
            push(min(arrival, now), "receipt", (part, wh))

    with secondary_indexes_dropped(StockEntry, say=say), transaction.atomic():
        # opening stock where a part × warehouse has no line yet
        for i, info in enumerate(parts):
            for wh in mains:
                if (info["id"], wh) not in has_lines:
                    book(i, wh, info["reorder_quantity"] or 10, K.OPENING,
                         start - dt.timedelta(days=1), note="期初库存", reference="G-OPENING")
        while events:
            when, _, kind, data = heapq.heappop(events)
            if kind == "issue":
                ticket_id, assignee, part, wh, qty = data
                key = (part_ids[part], wh)
                if balance[key] < qty:  # urgent purchase for a waiting repair
                    receive(part, wh, when, max(qty, parts[part]["reorder_quantity"]))
                reference = f"G-RQ{next(numbers):07d}"
                book(part, wh, -qty, K.ISSUE, when, ticket_id=ticket_id, recipient_id=assignee,
                     reference=reference)
                maybe_reorder(part, wh, when)
                if rng.random() < 0.12:  # part of it comes back unused
                    back = when + dt.timedelta(days=rng.randint(1, 10))
                    if back < now:
                        push(back, "return", (ticket_id, assignee, part, wh,
                                              rng.randint(1, qty), reference))
            elif kind == "return":
                ticket_id, assignee, part, wh, qty, reference = data
                book(part, wh, qty, K.RETURN, when, ticket_id=ticket_id, recipient_id=assignee,
                     reference=reference, note="未使用退回")
            elif kind == "receipt":
                receive(*data, when)
            elif kind == "transfer":
                part = rng.choices(range(len(parts)), cum_weights=weights)[0]
                a, b = mains if rng.random() < 0.5 else mains[::-1]
                src, dst = ((a, b) if balance[(part_ids[part], a)] >= balance[(part_ids[part], b)]
                            else (b, a))
                qty = min(balance[(part_ids[part], src)] // 2, rng.randint(1, 10))
                if qty > 0:
                    reference = f"G-TR{next(numbers):07d}"
                    book(part, src, -qty, K.TRANSFER, when, reference=reference)
                    book(part, dst, qty, K.TRANSFER, when, reference=reference)
                    maybe_reorder(part, src, when)
            elif kind == "scrap":
                part = rng.choices(range(len(parts)), cum_weights=weights)[0]
                wh = rng.choice(mains)
                qty = min(balance[(part_ids[part], wh)], rng.choice([1, 1, 1, 2, 3]))
                if qty > 0:
                    reference = f"G-SC{next(numbers):07d}"
                    book(part, wh, -qty, K.SCRAP, when, ticket_id=data, reference=reference,
                         note="故障报废")
                    book(part, scrap_wh, qty, K.SCRAP, when, ticket_id=data, reference=reference,
                         note="故障报废")
                    maybe_reorder(part, wh, when)
            elif kind == "disposal":
                reference = f"G-DB{next(numbers):07d}"
                for part, pk in enumerate(part_ids):
                    if balance[(pk, scrap_wh)] > 0:
                        book(part, scrap_wh, -balance[(pk, scrap_wh)], K.DISPOSAL, when,
                             reference=reference, note="报废处置")
            elif kind == "stocktake":
                wh, count = data
                reference = f"G-ST{next(numbers):07d}"
                for part in rng.sample(range(len(parts)), min(count, len(parts))):
                    on_hand = balance[(part_ids[part], wh)]
                    variance = rng.choice([-3, -2, -1, -1, 1, 1, 2])
                    variance = max(variance, -on_hand)
                    if variance:
                        book(part, wh, variance, K.ADJUSTMENT, when, reference=reference,
                             note=rng.choice(ADJUST_REASONS[::2] if variance > 0
                                             else ADJUST_REASONS[1::2]))
                        maybe_reorder(part, wh, when)
        insert_rows(StockEntry, pending, batch_size=batch)
        written += len(pending)
        pending.clear()

        # -- balances: exactly the running totals ----------------------------------------
        rows = StockBalance.objects.filter(part_id__in=part_ids,
                                           warehouse_id__in=[*mains, scrap_wh])
        changed = [row for row in rows if row.quantity != balance[(row.part_id,
                                                                   row.warehouse_id)]]
        for row in changed:
            row.quantity = balance[(row.part_id, row.warehouse_id)]
            row.updated_at = now
        StockBalance.objects.bulk_update(changed, ["quantity", "updated_at"], batch_size=batch)
        StockBalance.objects.bulk_create(
            [StockBalance(part_id=p, warehouse_id=w, quantity=balance[(p, w)], updated_at=now)
             for (p, w) in sorted(touched) if (p, w) not in existing],
            batch_size=batch)
    say(f"{written} stock ledger lines: " + ", ".join(
        f"{n} {k}" for k, n in counters.items() if n))
    return {"ledger_lines": written, **{k: n for k, n in counters.items() if n}}
