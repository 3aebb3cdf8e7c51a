"""Requisitions (领用): ask, issue, sign, return, close — with permissions and refusals."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from backoffice.platform.workflow import apply_transition, available_transitions
from inventory import workflows as wf
from inventory.models import Requisition, StockEntry
from inventory.selectors import parts_used_on_ticket
from tests.factories import TicketFactory
from tests.inventory.factories import PartFactory, balance, ledger_sum, requisition, stock

pytestmark = pytest.mark.django_db
S = wf.RequisitionStatus


def run(doc, name, actor, **kw):
    apply_transition(doc, name, actor=actor, **kw)
    doc.refresh_from_db()
    return doc


def test_full_flow_issue_sign_return_close(engineer, warehouse, stocked, main):
    ticket = TicketFactory()
    req = requisition(requester=engineer, warehouse=main, ticket=ticket, lines=[(stocked, 3)])
    run(req, "submit", engineer)
    assert req.state == S.SUBMITTED and req.submitted_at
    run(req, "issue", warehouse)
    assert req.state == S.ISSUED and req.issued_by == warehouse
    assert balance(stocked, main) == 7 == ledger_sum(stocked, main)
    entry = StockEntry.objects.get(kind=wf.EntryKind.ISSUE)
    assert entry.quantity == -3 and entry.ticket == ticket and entry.recipient == engineer
    assert entry.actor == warehouse and entry.reference == req.number
    assert entry.requisition_line.requisition == req

    run(req, "confirm_receipt", engineer)
    assert req.state == S.RECEIVED and req.received_at
    line = req.lines.get()
    run(req, "return_parts", engineer, quantities={line.pk: 1}, note="剩1块未用")
    assert req.state == S.RECEIVED and balance(stocked, main) == 8
    assert req.returnable_quantity() == 2
    run(req, "close", engineer)
    assert req.state == S.CLOSED

    used = parts_used_on_ticket(ticket)
    assert [(u["code"], u["quantity"]) for u in used] == [("HDD-1T", 2)]
    assert used[0]["value"] == 2 * stocked.unit_cost
    journal = list(req.events.order_by("created_at", "id").values_list("action", flat=True))
    assert journal == ["submit", "issue", "confirm_receipt", "return_parts", "close"]
    assert req.history.first().history_user == engineer


def test_issuing_more_than_on_hand_is_refused_and_nothing_moves(engineer, warehouse, stocked,
                                                                 main):
    other = PartFactory(code="RAM-16G", unit="条")
    stock(other, main, 5, warehouse)
    req = requisition(requester=engineer, warehouse=main,
                      lines=[(other, 2), (stocked, 11)])
    run(req, "submit", engineer)
    with pytest.raises(ValidationError, match=r"Not enough stock of HDD-1T.*10 块 on hand, 11 needed"):
        apply_transition(req, "issue", actor=warehouse)
    req.refresh_from_db()
    assert req.state == S.SUBMITTED and not req.events.filter(action="issue").exists()
    assert balance(other, main) == 5 and balance(stocked, main) == 10
    assert not StockEntry.objects.filter(kind=wf.EntryKind.ISSUE).exists()


def test_the_keeper_sends_back_a_requisition_with_a_reason(engineer, warehouse, stocked, main):
    req = run(requisition(requester=engineer, warehouse=main, lines=[(stocked, 20)]),
              "submit", engineer)
    run(req, "send_back", warehouse, note="库存只有10块，请修改数量")
    assert req.state == S.DRAFT and req.events.first().note.startswith("库存只有")


def test_only_the_requester_submits_signs_and_withdraws(engineer, make_user, warehouse, stocked,
                                                       main):
    other = make_user("engineer", "eng_other")
    req = requisition(requester=engineer, warehouse=main, lines=[(stocked, 1)])
    for outsider in (other, warehouse):
        with pytest.raises(PermissionDenied):
            apply_transition(req, "submit", actor=outsider)
    run(req, "submit", engineer)
    run(req, "issue", warehouse)
    with pytest.raises(PermissionDenied):
        apply_transition(req, "confirm_receipt", actor=warehouse)  # the signature is personal
    with pytest.raises(PermissionDenied):
        apply_transition(req, "confirm_receipt", actor=other)
    run(req, "confirm_receipt", engineer)


def test_engineers_do_not_issue_parts(engineer, manager, stocked, main):
    req = run(requisition(requester=engineer, warehouse=main, lines=[(stocked, 1)]),
              "submit", engineer)
    assert "issue" not in available_transitions(req, engineer)
    for outsider in (engineer, manager):
        with pytest.raises(PermissionDenied):
            apply_transition(req, "issue", actor=outsider)


def test_the_keeper_may_book_a_return_for_the_engineer(engineer, warehouse, stocked, main):
    req = requisition(requester=engineer, warehouse=main, lines=[(stocked, 2)])
    for name, actor in [("submit", engineer), ("issue", warehouse),
                        ("confirm_receipt", engineer)]:
        run(req, name, actor)
    line = req.lines.get()
    run(req, "return_parts", warehouse, quantities={line.pk: 2})
    assert balance(stocked, main) == 10
    assert "return_parts" not in available_transitions(req, engineer)  # nothing left
    with pytest.raises(ValidationError, match="nothing is left to return"):
        apply_transition(req, "return_parts", actor=engineer, quantities={line.pk: 1})


def test_returning_more_than_was_taken_is_refused(engineer, warehouse, stocked, main):
    req = requisition(requester=engineer, warehouse=main, lines=[(stocked, 2)])
    for name, actor in [("submit", engineer), ("issue", warehouse),
                        ("confirm_receipt", engineer)]:
        run(req, name, actor)
    line = req.lines.get()
    with pytest.raises(ValidationError, match="only 2 taken"):
        apply_transition(req, "return_parts", actor=engineer, quantities={line.pk: 3})
    with pytest.raises(ValidationError, match="at least one line"):
        apply_transition(req, "return_parts", actor=engineer, quantities={line.pk: 0})
    assert balance(stocked, main) == 8


def test_submit_needs_lines_and_an_open_ticket(engineer, clerk, stocked, main):
    empty = requisition(requester=engineer, warehouse=main, lines=[])
    with pytest.raises(ValidationError, match="no lines"):
        apply_transition(empty, "submit", actor=engineer)
    ticket = TicketFactory()
    apply_transition(ticket, "cancel", actor=clerk, note="重复报修")
    req = requisition(requester=engineer, warehouse=main, ticket=ticket, lines=[(stocked, 1)])
    with pytest.raises(ValidationError, match="ticket is already resolved"):
        apply_transition(req, "submit", actor=engineer)


def test_withdraw_before_issue(engineer, warehouse, stocked, main):
    req = run(requisition(requester=engineer, warehouse=main, lines=[(stocked, 1)]),
              "submit", engineer)
    run(req, "cancel", engineer)
    assert req.state == S.CANCELLED
    with pytest.raises(ValidationError, match="not possible while"):
        apply_transition(req, "issue", actor=warehouse)


def test_reversing_an_issue_line_corrects_the_parts_used(engineer, warehouse, stocked, main):
    from inventory import services

    ticket = TicketFactory()
    req = requisition(requester=engineer, warehouse=main, ticket=ticket, lines=[(stocked, 3)])
    run(req, "submit", engineer)
    run(req, "issue", warehouse)
    issue = StockEntry.objects.get(kind=wf.EntryKind.ISSUE)
    services.stock_entry_reverse(entry=issue, actor=warehouse, reason="实际未领用")
    assert parts_used_on_ticket(ticket) == []
    assert balance(stocked, main) == 10 and req.returnable_quantity() == 0


def test_numbers_and_history(engineer, stocked, main):
    req = requisition(requester=engineer, warehouse=main, lines=[(stocked, 1)])
    assert req.number.startswith("RQ")
    assert Requisition.history.filter(id=req.pk).exists()
    assert req.lines.get().history.exists()
