"""Many engineers take the last units at the same moment: the ledger stays exact.

Real parallel transactions (threads, each with its own database connection). On
PostgreSQL the conditional UPDATE re-checks ``quantity >= n`` after waiting for the row
lock; on SQLite the IMMEDIATE transactions queue up. Either way exactly the available
quantity is issued, every other request is refused with the clear message, and every
balance equals the sum of its ledger lines afterwards.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from backoffice.platform.workflow import apply_transition
from inventory import services
from inventory import workflows as wf
from inventory.models import Requisition, StockEntry
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
            connection.close()

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
