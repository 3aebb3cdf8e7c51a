
"""Demo data of the parts warehouse (called by ``manage.py load_demo`` after the desk's).

Reference data comes from ``fixtures/inventory/*.csv``; every stock movement and state
goes through the services and ``apply_transition`` as the right person, so the ledger,
the balances and the journals look like the real thing. Idempotent: nothing is done when
parts already exist.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from backoffice.desk.models import Customer, Ticket
from backoffice.platform.budget import BudgetOverrun
from backoffice.platform.demo import at, fixture_rows, on_day, real_now, say
from backoffice.platform.workflow import apply_transition
from inventory import services
from inventory import workflows as wf
from inventory.models import (
    DisposalBatch,
    Part,
    PartCategory,
    PurchaseOrder,
    PurchasePlan,
    Requisition,
    ScrapRequest,
    Stocktake,
    StockTransfer,
    Supplier,
    SupplierContract,
    Warehouse,
)


def _csv(name):
    return fixture_rows("inventory", name)


@transaction.atomic
def load(users, stdout=None):
    if Part.objects.exists():
        say(stdout, "Parts already present: inventory demo data not generated again.")
        return
    keeper, manager = users["warehouse"], users["manager"]
    eng1, eng2 = users["engineer"], users["engineer2"]
    today = timezone.localdate()

    def days_ago(days, hour=10, minutes=0):
        """The clock for a step ``days`` before today (the warehouse's last fortnight)."""
        return at(on_day(today - dt.timedelta(days=days), hour, minutes))

    # -- reference data ----------------------------------------------------------------
    categories = {row["code"]: PartCategory.objects.create(code=row["code"], name=row["name"])
                  for row in _csv("categories.csv")}
    main = Warehouse.objects.create(code="MAIN", name="总部配件仓", keeper=keeper,
                                    address="北京市海淀区上地信息路 9 号 B1")
    branch = Warehouse.objects.create(code="SH", name="上海备件库", keeper=keeper,
                                      address="上海市徐汇区宜山路 700 号")
    scrap_area = Warehouse.objects.create(code="SCRAP", name="报废区",
                                          kind=wf.WarehouseKind.SCRAP, keeper=keeper)
    suppliers = {}
    for row in _csv("suppliers.csv"):
        qualified = row.pop("qualified") == "1"
        supplier = Supplier.objects.create(**row)
        if qualified:
            with at(on_day(today.replace(month=1, day=4), 15)):  # the yearly review
                apply_transition(supplier, "qualify", actor=manager,
                                 qualified_until=today.replace(month=12, day=31),
                                 evaluation="营业执照、产品检测报告齐全，样品测试合格",
                                 note="年度供应商评审通过")
            SupplierContract.objects.create(
                supplier=supplier, number=f"CG-{today.year}-{supplier.code}",
                title=f"{today.year} 年度配件采购框架合同", signed_on=today.replace(month=1, day=5),
                valid_from=today.replace(month=1, day=1), valid_to=today.replace(month=12, day=31),
                payment_terms="货到验收合格后 30 天付款",
                terms="质保一年；到货 7 日内可退换；延迟交货按日千分之五计违约金")
        suppliers[supplier.code] = supplier

    parts = {}
    with at(on_day(today.replace(month=1, day=2), 9)):  # the year's opening stock
        for row in _csv("parts.csv"):
            part = Part.objects.create(
                code=row["code"], name=row["name"], specification=row["specification"],
                model_number=row["model"], unit=row["unit"], category=categories[row["category"]],
                unit_cost=Decimal(row["unit_cost"]), safety_stock=int(row["safety_stock"]),
                reorder_point=int(row["reorder_point"]),
                reorder_quantity=int(row["reorder_quantity"]),
                preferred_supplier=suppliers.get(row["supplier"]))
            parts[part.code] = part
            for warehouse, column in ((main, "opening_main"), (branch, "opening_sh")):
                if int(row[column]):
                    services.opening_balance_post(part=part, warehouse=warehouse,
                                                  quantity=int(row[column]), actor=keeper)
    say(stdout, f"  {len(parts)} parts with opening balances in {main} and {branch}")

    # -- purchasing ----------------------------------------------------------------------
    def order(supplier, lines, urgent=False, *, ago, **kwargs):
        with days_ago(ago, 10):
            po = PurchaseOrder.objects.create(
                supplier=suppliers[supplier], contract=suppliers[supplier].contracts.first(),
                warehouse=main, urgent=urgent, created_by=keeper,
                expected_date=timezone.localdate() + dt.timedelta(days=7), **kwargs)
            for code, qty, price in lines:
                po.lines.create(part=parts[code], quantity=qty, unit_price=Decimal(price))
            apply_transition(po, "submit", actor=keeper)
        return po

    def approve(po, *, ago):
        try:
            with days_ago(ago, 14):
                apply_transition(po, "approve", actor=manager, confirm_budget_overrun=True,
                                 note="价格与合同一致，同意采购")
        except BudgetOverrun as exc:
            say(stdout, f"  {po.number} left waiting: {exc.messages[0]}")
            return False
        return True

    delivered = order("S001", [("HDD-2T", 6, "845.00"), ("RAM-32G", 4, "960.00")], ago=12)
    if approve(delivered, ago=11):
        lines = list(delivered.lines.order_by("id"))
        with days_ago(6, 11):
            apply_transition(delivered, "receive", actor=keeper,
                             quantities={lines[0].pk: 6, lines[1].pk: 2},
                             delivery_note="HX-0318", note="内存缺货，余 2 条下周到")
    awaiting = order("S002", [("SFP-10G", 10, "255.00"), ("NIC-10G", 2, "1150.00")], ago=4)
    approve(awaiting, ago=3)
    order("S003", [("CARD-RD", 5, "575.00"), ("FP-RD", 2, "750.00")], urgent=True,
          note="客户营业厅读卡器批量故障，紧急采购", ago=1)

    # -- requisitions on open tickets -----------------------------------------------------
    tickets = _open_tickets(users, 7)

    def after_latest(ticket):
        """An hour after the ticket's latest step, or after three days ago."""
        latest = max([e.created_at for e in ticket.events.all()] + [ticket.received_at])
        return max(latest, real_now() - dt.timedelta(days=3)) + dt.timedelta(hours=1)

    def requisition(engineer, ticket, lines, warehouse=main, purpose=""):
        """A requisition for the ticket, written after its latest step (at most three
        days ago); ``req.steps(hours)`` gives the clock for each later step."""
        start = after_latest(ticket)
        with at(start):
            req = Requisition.objects.create(
                ticket=ticket, requester=engineer, warehouse=warehouse,
                needed_by=timezone.localdate() + dt.timedelta(days=1),
                purpose=purpose or f"{ticket.subject}：更换故障部件")
            for code, qty in lines:
                req.lines.create(part=parts[code], quantity=qty)
        req.step_at = lambda hours: at(start + dt.timedelta(hours=hours))
        return req

    def walk(req, steps):
        for hours, name, actor, kwargs in steps:
            with req.step_at(hours):
                apply_transition(req, name, actor=actor, **kwargs)

    requisition(eng1, tickets[0], [("SCAN-2D", 1)])  # draft
    queued = requisition(eng2, tickets[1], [("HDD-1T", 2), ("RAID-CARD", 1)])
    walk(queued, [(0.2, "submit", eng2, {})])
    short = requisition(eng1, tickets[2], [("RAM-32G", 6)], purpose="扩容内存（库存不足，待采购）")
    walk(short, [(0.2, "submit", eng1, {})])
    issued = requisition(eng2, tickets[3], [("PRN-58", 1), ("PAPER-58", 10)])
    walk(issued, [(0.2, "submit", eng2, {}), (2, "issue", keeper, {})])
    returned = requisition(eng1, tickets[4], [("DONGLE-STD", 3), ("CAB-USB", 2)])
    walk(returned, [(0.2, "submit", eng1, {}), (2, "issue", keeper, {}),
                    (3, "confirm_receipt", eng1, {})])
    dongles = returned.lines.get(part=parts["DONGLE-STD"])
    walk(returned, [(26, "return_parts", eng1, {"quantities": {dongles.pk: 1},
                                                 "note": "客户只需更换 2 个加密锁"}),
                    (26.5, "close", eng1, {})])
    signed = requisition(eng2, tickets[5], [("NIC-1G", 1)], warehouse=branch)
    walk(signed, [(0.2, "submit", eng2, {}), (2, "issue", keeper, {}),
                  (3, "confirm_receipt", eng2, {})])

    # -- stocktakes ----------------------------------------------------------------------
    with days_ago(9, 9):
        posted = Stocktake.objects.create(warehouse=branch, note="季度盘点")
        apply_transition(posted, "start", actor=keeper)
    with days_ago(9, 16):
        for line in posted.lines.select_related("part"):
            line.counted_quantity = line.book_quantity
            if line.part.code == "DONGLE-STD":
                line.counted_quantity -= 1
                line.reason = wf.VarianceReason.SHORTAGE
                line.note = "疑似借出未登记，已通报"
            elif line.part.code == "PAPER-58":
                line.counted_quantity += 4
                line.reason = wf.VarianceReason.SURPLUS
            line.save()
        apply_transition(posted, "submit", actor=keeper)
    with days_ago(8, 10):
        apply_transition(posted, "approve", actor=manager, note="差异已查明，同意调整")
    with days_ago(0, 9):
        counting = Stocktake.objects.create(warehouse=main, category=categories["TERMINAL"],
                                            note="终端外设月度抽盘")
        apply_transition(counting, "start", actor=keeper)
        for line in counting.lines.all()[:3]:
            line.counted_quantity = line.book_quantity
            line.save()

    # -- scrap and disposal ----------------------------------------------------------------
    def scrap(engineer, code, qty, reason, description, ticket=None, *, ago=0, when=None):
        with at(when) if when else days_ago(ago, 11):
            request = ScrapRequest.objects.create(
                part=parts[code], warehouse=main, quantity=qty, reason=reason,
                description=description, ticket=ticket, requester=engineer)
            apply_transition(request, "submit", actor=engineer)
        return request

    scrap(eng1, "HDD-1T", 1, wf.ScrapReason.BROKEN, "坏道过多，SMART 报警", tickets[6],
          when=after_latest(tickets[6]))
    waiting_disposal = scrap(eng2, "SCAN-2D", 1, wf.ScrapReason.BROKEN, "摔落后无法识读", ago=5)
    with days_ago(4, 10):
        apply_transition(waiting_disposal, "approve", actor=manager)
    rejected = scrap(eng1, "PRN-58", 1, wf.ScrapReason.BROKEN, "打印头发热不出字", ago=7)
    with days_ago(6, 15):
        apply_transition(rejected, "reject", actor=manager, note="更换打印头即可修复，不予报废")
    old = scrap(eng2, "BAT-12V", 2, wf.ScrapReason.OBSOLETE, "蓄电池鼓包，超过使用年限", ago=10)
    with days_ago(9, 11):
        apply_transition(old, "approve", actor=manager, note="同意报废")
    with days_ago(5, 14):
        batch = DisposalBatch.objects.create(
            warehouse=scrap_area, method=wf.DisposalMethod.RECYCLE,
            recipient_company="北京绿源再生资源回收有限公司", proceeds=Decimal("20.00"),
            note="危废电池，交由有资质单位回收")
        batch.lines.create(scrap_request=old, part=old.part, quantity=old.quantity)
        apply_transition(batch, "complete", actor=keeper)

    # -- a transfer and a purchase plan ------------------------------------------------------
    with days_ago(2, 15):
        transfer = StockTransfer.objects.create(from_warehouse=main, to_warehouse=branch,
                                                note="上海备件库补货")
        transfer.lines.create(part=parts["UKEY"], quantity=10)
        transfer.lines.create(part=parts["CAB-NET"], quantity=10)
        apply_transition(transfer, "post", actor=keeper)
    plan = PurchasePlan.objects.create(title=f"{today:%Y年%m月}配件采购计划", warehouse=main,
                                       created_by=keeper, note="按库存下限与待发放领用单生成")
    proposed = services.purchase_plan_propose(plan, actor=keeper)
    say(stdout, f"  requisitions, stocktakes, scrap, purchase orders; plan with {proposed} "
                 "proposed lines")


def _open_tickets(users, count):
    """Open tickets of the two demo engineers (new ones if the desk demo has too few)."""
    engineers = [users["engineer"], users["engineer2"]]
    tickets = list(Ticket.objects.open().filter(assignee__in=engineers)
                   .order_by("-received_at")[:count])
    customer = Customer.objects.first() or Customer.objects.create(code="DEMO", name="演示客户")
    while len(tickets) < count:
        tickets.append(Ticket.objects.create(customer=customer, category="environment",
                                             subject="服务器硬件故障", description="现场硬件故障",
                                             recorded_by=users["clerk"]))
    return tickets
