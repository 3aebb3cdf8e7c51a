"""Many engineers take the last units at the same moment: the ledger stays exact.

Real parallel transactions (threads, each with its own database connection). On
PostgreSQL the conditional UPDATE re-checks ``quantity >= n`` after waiting for the row
lock; on SQLite the IMMEDIATE transactions queue up. Either way exactly the available
quantity is issued, every other request is refused with the clear message, and every
balance equals the sum of its ledger lines afterwards.
"""

import re
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connections

from backoffice.platform.workflow import apply_transition
from inventory import services
from inventory import workflows as wf
from inventory.models import Requisition, StockEntry, Stocktake
from tests.factories import TicketFactory
from tests.inventory.factories import PartFactory, WarehouseFactory, balance, ledger_sum, stock

pytestmark = pytest.mark.django_db(transaction=True)


def run_at_once(jobs):
    """Run the callables in threads released together; return (successes, refusals)."""
    barrier = threading.Barrier(len(jobs))
    done, refused, crashed = [], [], []

    def worker(job):
        try:
            barrier.wait(timeout=30)
            done.append(job())
        except ValidationError as exc:
            refused.append(exc.messages[0])
        except Exception as exc:  # noqa: BLE001  (reported by the test)
            crashed.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    close_old_connections()
    assert not crashed, crashed
    return done, refused


def test_threads_issuing_the_last_units_never_oversell(engineer, warehouse):
    main = WarehouseFactory(code="MAIN")
    part = PartFactory(code="LAST-1", unit="个")
    stock(part, main, 5, warehouse)
    ticket = TicketFactory()
    ids = []
    for _ in range(12):
        req = Requisition.objects.create(ticket=ticket, requester=engineer, warehouse=main)
        req.lines.create(part=part, quantity=1)
        apply_transition(req, "submit", actor=engineer)
        ids.append(req.pk)

    def issue(pk):
        return lambda: apply_transition(Requisition.objects.get(pk=pk), "issue", actor=warehouse)

    done, refused = run_at_once([issue(pk) for pk in ids])

    assert len(done) == 5 and len(refused) == 7
    assert all("Not enough stock of LAST-1" in message for message in refused)
    assert balance(part, main) == 0 == ledger_sum(part, main)
    assert StockEntry.objects.filter(kind=wf.EntryKind.ISSUE).count() == 5
    states = sorted(Requisition.objects.values_list("state", flat=True))
    assert states.count(wf.RequisitionStatus.ISSUED) == 5
    assert states.count(wf.RequisitionStatus.SUBMITTED) == 7
    assert services.stock_drift() == []


def test_threads_taking_several_units_and_receiving_at_once(warehouse):
    main = WarehouseFactory(code="MAIN")
    part = PartFactory(code="MULTI-1")
    stock(part, main, 7, warehouse)
    fresh = PartFactory(code="NEW-1")  # no balance row yet: threads race to create it

    def take(n):
        return lambda: services.post_moves(
            [services.Move(part, main, -n, wf.EntryKind.ISSUE)], actor=warehouse)

    def receive():
        return services.post_moves([services.Move(fresh, main, 1, wf.EntryKind.RECEIPT)],
                                   actor=warehouse)

    done, refused = run_at_once([take(2) for _ in range(6)] + [receive for _ in range(6)])

    taken = [entries for entries in done if entries[0].part_id == part.pk]
    assert len(taken) == 3 and len(refused) == 3  # 3 × 2 taken, 1 left, 3 refused
    assert balance(part, main) == 1 == ledger_sum(part, main)
    assert balance(fresh, main) == 6 == ledger_sum(fresh, main)
    assert services.stock_drift() == []


def test_the_same_requisition_issued_twice_at_once_moves_stock_once(engineer, warehouse):
    main = WarehouseFactory(code="MAIN")
    part = PartFactory(code="TWICE-1")
    stock(part, main, 10, warehouse)
    req = Requisition.objects.create(ticket=TicketFactory(), requester=engineer, warehouse=main)
    req.lines.create(part=part, quantity=3)
    apply_transition(req, "submit", actor=engineer)

    def issue():
        return apply_transition(Requisition.objects.get(pk=req.pk), "issue", actor=warehouse)

    done, refused = run_at_once([issue for _ in range(4)])

    assert len(done) == 1 and len(refused) == 3
    assert balance(part, main) == 7 == ledger_sum(part, main)
    assert req.events.filter(action="issue").count() == 1


# -- 20 simultaneous attempts per stock entry point (issue "Nothing lost, nothing leaked") --
TWENTY = 20


def test_twenty_engineers_issue_the_last_units_at_once(engineer, warehouse):
    main = WarehouseFactory(code="MAIN")
    part = PartFactory(code="LAST-20")
    stock(part, main, 7, warehouse)
    ticket = TicketFactory()
    ids = []
    for _ in range(TWENTY):
        req = Requisition.objects.create(ticket=ticket, requester=engineer, warehouse=main)
        req.lines.create(part=part, quantity=1)
        apply_transition(req, "submit", actor=engineer)
        ids.append(req.pk)

    def issue(pk):
        return lambda: apply_transition(Requisition.objects.get(pk=pk), "issue", actor=warehouse)

    done, refused = run_at_once([issue(pk) for pk in ids])

    assert (len(done), len(refused)) == (7, 13)
    assert all("Not enough stock of LAST-20" in message for message in refused)
    assert balance(part, main) == 0 == ledger_sum(part, main)
    assert StockEntry.objects.filter(kind=wf.EntryKind.ISSUE).count() == 7
    assert services.stock_drift() == []


def test_item2_twenty_simultaneous_opening_balances_book_one(warehouse):
    """20 sessions post the same opening balance (10 units) at the same instant: one line
    is booked, 19 are refused with the opening-balance message, the balance is 10."""
    main = WarehouseFactory(code="MAIN")
    part = PartFactory(code="OPEN-20")

    def post():
        return services.opening_balance_post(part=part, warehouse=main, quantity=10,
                                             actor=warehouse)

    done, refused = run_at_once([post for _ in range(TWENTY)])

    assert (len(done), len(refused)) == (1, 19), refused
    assert all("already has an opening balance" in message for message in refused), [
        m for m in refused if "already has an opening balance" not in m]
    assert StockEntry.objects.filter(part=part, warehouse=main).count() == 1
    assert balance(part, main) == 10 == ledger_sum(part, main)
    assert services.stock_drift() == []


def test_twenty_managers_approving_the_same_stocktake_post_it_once(warehouse, make_user):
    main = WarehouseFactory(code="MAIN")
    part = PartFactory(code="COUNT-20")
    stock(part, main, 10, warehouse)
    take = Stocktake.objects.create(warehouse=main)
    apply_transition(take, "start", actor=warehouse)
    take.lines.update(counted_quantity=7)  # 3 short
    apply_transition(Stocktake.objects.get(pk=take.pk), "submit", actor=warehouse)
    managers = [make_user("manager") for _ in range(TWENTY)]

    def approve(manager):
        return lambda: apply_transition(Stocktake.objects.get(pk=take.pk), "approve",
                                        actor=manager)

    done, refused = run_at_once([approve(m) for m in managers])

    assert (len(done), len(refused)) == (1, 19), refused
    assert Stocktake.objects.get(pk=take.pk).state == wf.StocktakeStatus.POSTED
    assert list(StockEntry.objects.filter(stocktake=take).values_list("quantity", flat=True)) \
        == [-3]
    assert balance(part, main) == 7 == ledger_sum(part, main)
    assert take.events.filter(action="approve").count() == 1
    assert services.stock_drift() == []


def test_eight_sessions_pressing_import_now_with_the_same_opening_balances_book_once(
        warehouse):
    """The same file, "Import now", 8 sessions at once: one books, 7 are told why."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    main = WarehouseFactory(code="MAIN")
    part = PartFactory(code="OPEN-8")
    data = b"part,warehouse,quantity,unit_cost,note\nOPEN-8,MAIN,10,,\n"
    browsers = []
    for _ in range(8):
        browser = Client()
        browser.force_login(warehouse)
        browsers.append(browser)

    def import_now(browser):
        def press():
            response = browser.post(reverse("admin:inventory_stockentry_import"), {
                "format": "0", "resource": "0", "_import_now": "1",
                "import_file": SimpleUploadedFile("opening.csv", data, content_type="text/csv")})
            return response.status_code, response.content.decode()
        return press

    done, refused = run_at_once([import_now(b) for b in browsers])

    codes = sorted(code for code, _page in done)
    booked = StockEntry.objects.filter(part=part, warehouse=main).count()
    assert (booked, balance(part, main)) == (1, 10), codes
    assert codes == [200] * 7 + [302]
    told = [page for code, page in done if code == 200]
    assert all("already has an opening balance" in page for page in told), [
        re.findall(r"(?:Integrity|already has)[^<]{0,80}", page)[:2] for page in told]
    assert balance(part, main) == ledger_sum(part, main)
