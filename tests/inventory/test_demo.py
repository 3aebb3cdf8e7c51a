"""The demo data loads through the real workflow, leaves no drift and is idempotent."""

import pytest
from django.db.models import Count

from backoffice.platform.demo import ensure_users
from inventory import demo, services
from inventory import workflows as wf
from inventory.models import Part, Requisition, ScrapRequest, Stocktake

pytestmark = pytest.mark.django_db


def test_demo_loads_documents_in_different_states_and_is_idempotent():
    users = ensure_users()
    demo.load(users)
    assert Part.objects.count() >= 20
    assert services.stock_drift() == []
    states = {model: set(model.objects.values_list("state", flat=True).annotate(n=Count("id")))
              for model in (Requisition, Stocktake, ScrapRequest)}
    assert {wf.RequisitionStatus.DRAFT, wf.RequisitionStatus.SUBMITTED,
            wf.RequisitionStatus.ISSUED, wf.RequisitionStatus.RECEIVED,
            wf.RequisitionStatus.CLOSED} <= states[Requisition]
    assert {wf.StocktakeStatus.POSTED, wf.StocktakeStatus.COUNTING} <= states[Stocktake]
    assert {wf.ScrapStatus.SUBMITTED, wf.ScrapStatus.APPROVED, wf.ScrapStatus.REJECTED,
            wf.ScrapStatus.DISPOSED} <= states[ScrapRequest]
    count = Part.objects.count()
    demo.load(users)
    assert Part.objects.count() == count
