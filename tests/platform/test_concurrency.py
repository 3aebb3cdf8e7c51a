"""Two people pressing a button on the same ticket at the same instant: exactly one wins.

Runs with real threads and transactions on SQLite (IMMEDIATE transactions, WAL) and on
PostgreSQL.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.platform.workflow import apply_transition
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)


def race(workers):
    """Start all callables at once; return their outcomes ("ok" or the exception)."""
    barrier = threading.Barrier(len(workers))
    outcomes = [None] * len(workers)

    def run(i, work):
        try:
            barrier.wait()
            work()
            outcomes[i] = "ok"
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
            outcomes[i] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def test_two_clerks_assign_the_same_ticket_at_once(clerk, make_user):
    engineers = [make_user("engineer") for _ in range(4)]
    clerks = [clerk] + [make_user("clerk") for _ in range(3)]
    ticket = TicketFactory()

    # every clerk has the ticket open (read before anyone acts) and presses "assign"
    copies = [Ticket.objects.get(pk=ticket.pk) for _ in clerks]

    def assign(copy, actor, engineer):
        return lambda: apply_transition(copy, "assign", actor=actor, assignee=engineer)

    outcomes = race([assign(*args) for args in zip(copies, clerks, engineers, strict=True)])
    assert outcomes.count("ok") == 1, outcomes
    losers = [o for o in outcomes if o != "ok"]
    assert all(isinstance(o, ValidationError) and "Someone else" in str(o) for o in losers)
    ticket.refresh_from_db()
    winner = engineers[outcomes.index("ok")]
    assert ticket.assignee == winner
    assert ticket.events.count() == 1 and ticket.history.count() == 2


def test_resolve_and_cancel_race_one_wins(clerk, engineer):
    ticket = TicketFactory()
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    apply_transition(ticket, "start", actor=engineer)
    Ticket.objects.filter(pk=ticket.pk).update(solution="已修复")

    mine, theirs = Ticket.objects.get(pk=ticket.pk), Ticket.objects.get(pk=ticket.pk)
    outcomes = race([lambda: apply_transition(mine, "resolve", actor=engineer),
                     lambda: apply_transition(theirs, "cancel", actor=clerk, note="重复")])
    assert outcomes.count("ok") == 1, outcomes
    loser = next(o for o in outcomes if o != "ok")
    assert isinstance(loser, ValidationError)
    ticket.refresh_from_db()
    assert ticket.state in {wf.TicketStatus.RESOLVED, wf.TicketStatus.CANCELLED}
    assert ticket.events.filter(action__in=["resolve", "cancel"]).count() == 1
