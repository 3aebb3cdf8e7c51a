"""Scrap (报废): engineer files, manager approves (never their own), disposal takes it away."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from backoffice.platform.workflow import apply_transition, available_transitions
from inventory import services
from inventory import workflows as wf
from inventory.models import DisposalBatch, DisposalLine, StockEntry
from tests.factories import TicketFactory
from tests.inventory.factories import balance, ledger_sum, scrap_request

pytestmark = pytest.mark.django_db
S = wf.ScrapStatus


def run(doc, name, actor, **kw):
    apply_transition(doc, name, actor=actor, **kw)
    doc.refresh_from_db()
    return doc


def approved_scrap(engineer, manager, part, warehouse, quantity=2):
    scrap = scrap_request(requester=engineer, part=part, warehouse=warehouse,
                          quantity=quantity, ticket=TicketFactory())
    run(scrap, "submit", engineer)
    return run(scrap, "approve", manager)


def test_approval_moves_the_parts_to_the_scrap_area(engineer, manager, stocked, main,
                                                    scrap_area):
    scrap = scrap_request(requester=engineer, part=stocked, warehouse=main, quantity=3,
                          description="硬盘坏道")
    run(scrap, "submit", engineer)
    assert balance(stocked, main) == 10  # nothing moves before the decision
    run(scrap, "approve", manager, note="同意报废")
    assert scrap.state == S.APPROVED and scrap.approved_by == manager
    assert scrap.scrap_warehouse == scrap_area
    assert balance(stocked, main) == 7 == ledger_sum(stocked, main)
    assert balance(stocked, scrap_area) == 3 == ledger_sum(stocked, scrap_area)
    lines = StockEntry.objects.filter(scrap_request=scrap)
    assert sorted(lines.values_list("quantity", flat=True)) == [-3, 3]
    assert set(lines.values_list("kind", flat=True)) == {wf.EntryKind.SCRAP}


def test_the_manager_never_approves_their_own_request(make_user, engineer, manager, stocked,
                                                      main, scrap_area):
    both = make_user("engineer", "eng_manager")
    both.groups.add(*manager.groups.all())
    scrap = run(scrap_request(requester=both, part=stocked, warehouse=main), "submit", both)
    assert "approve" not in available_transitions(scrap, both)
    with pytest.raises(PermissionDenied):
        apply_transition(scrap, "approve", actor=both)
    with pytest.raises(PermissionDenied):
        apply_transition(scrap, "approve", actor=engineer)
    run(scrap, "approve", manager)


def test_reject_needs_the_manager_and_moves_nothing(engineer, manager, stocked, main,
                                                   scrap_area, warehouse):
    scrap = run(scrap_request(requester=engineer, part=stocked, warehouse=main), "submit",
                engineer)
    with pytest.raises(PermissionDenied):
        apply_transition(scrap, "reject", actor=warehouse)
    run(scrap, "reject", manager, note="可以维修，不予报废")
    assert scrap.state == S.REJECTED and balance(stocked, main) == 10


def test_scrapping_more_than_on_hand_is_refused(engineer, manager, stocked, main, scrap_area):
    scrap = run(scrap_request(requester=engineer, part=stocked, warehouse=main, quantity=12),
                "submit", engineer)
    with pytest.raises(ValidationError, match="Not enough stock"):
        apply_transition(scrap, "approve", actor=manager)
    scrap.refresh_from_db()
    assert scrap.state == S.SUBMITTED and balance(stocked, scrap_area) == 0


def test_approval_needs_a_scrap_area(engineer, manager, stocked, main):
    scrap = run(scrap_request(requester=engineer, part=stocked, warehouse=main), "submit",
                engineer)
    with pytest.raises(ValidationError, match="no active scrap area"):
        apply_transition(scrap, "approve", actor=manager)


def test_only_the_requester_submits_or_withdraws(engineer, make_user, stocked, main):
    other = make_user("engineer", "eng2")
    scrap = scrap_request(requester=engineer, part=stocked, warehouse=main)
    with pytest.raises(PermissionDenied):
        apply_transition(scrap, "submit", actor=other)
    run(scrap, "cancel", engineer)
    assert scrap.state == S.CANCELLED


def test_disposal_batch_takes_approved_scrap_out(engineer, manager, warehouse, stocked, main,
                                                 scrap_area):
    first = approved_scrap(engineer, manager, stocked, main, 2)
    second = approved_scrap(engineer, manager, stocked, main, 1)
    batch = DisposalBatch.objects.create(warehouse=scrap_area, method=wf.DisposalMethod.RECYCLE,
                                         recipient_company="绿色回收公司")
    assert services.disposal_add_approved_scrap(batch) == 2
    assert services.disposal_add_approved_scrap(batch) == 0  # not listed twice
    run(batch, "complete", warehouse)
    assert batch.state == wf.DisposalStatus.DISPOSED and batch.completed_by == warehouse
    assert balance(stocked, scrap_area) == 0 == ledger_sum(stocked, scrap_area)
    assert balance(stocked, main) == 7
    for scrap in (first, second):
        scrap.refresh_from_db()
        assert scrap.state == S.DISPOSED
        assert scrap.events.first().action == "dispose"
    assert StockEntry.objects.filter(disposal=batch, kind=wf.EntryKind.DISPOSAL).count() == 2


def test_scrap_is_only_disposed_of_through_a_batch(engineer, manager, warehouse, stocked, main,
                                                   scrap_area):
    scrap = approved_scrap(engineer, manager, stocked, main)
    assert "dispose" not in available_transitions(scrap, warehouse)
    with pytest.raises(ValidationError, match="disposal batch"):
        apply_transition(scrap, "dispose", actor=warehouse)


def test_disposal_lines_dispose_a_request_as_a_whole(engineer, manager, warehouse, stocked,
                                                    main, scrap_area):
    scrap = approved_scrap(engineer, manager, stocked, main, 2)
    batch = DisposalBatch.objects.create(warehouse=scrap_area, method=wf.DisposalMethod.SOLD)
    DisposalLine.objects.create(batch=batch, scrap_request=scrap, part=stocked, quantity=1)
    with pytest.raises(ValidationError, match="as a whole"):
        apply_transition(batch, "complete", actor=warehouse)
    assert balance(stocked, scrap_area) == 2


def test_disposal_needs_lines_and_the_right(engineer, scrap_area, warehouse):
    batch = DisposalBatch.objects.create(warehouse=scrap_area, method=wf.DisposalMethod.RECYCLE)
    with pytest.raises(ValidationError, match="no lines"):
        apply_transition(batch, "complete", actor=warehouse)
    with pytest.raises(PermissionDenied):
        apply_transition(batch, "cancel", actor=engineer)
    run(batch, "cancel", warehouse)
