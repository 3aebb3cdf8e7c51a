"""Who may do what with incidents, and whose history pages show them."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from backoffice.incidents.models import Incident
from backoffice.incidents.services import incident_add_action, incident_send_notice
from backoffice.platform.workflow import apply_transition

pytestmark = pytest.mark.django_db


def test_only_the_manager_runs_an_incident(clerk, engineer, manager, plan):
    incident = Incident.objects.create(kind="outage", title="认证服务中断", plan=plan)
    for user in (clerk, engineer):
        with pytest.raises(PermissionDenied):
            apply_transition(incident, "resolve", actor=user)
        with pytest.raises(PermissionDenied):
            incident_send_notice(incident, kind="first", subject="s", body="b", actor=user)
    with pytest.raises(PermissionDenied):
        incident_add_action(incident, text="记录", actor=clerk)
    incident_add_action(incident, text="确认范围", actor=engineer,
                        plan_step=plan.steps.first())
    apply_transition(incident, "cancel", actor=manager, note="误报")


def test_history_pages_follow_who_may_see_incidents(client, manager, warehouse, clerk, plan):
    incident = Incident.objects.create(kind="outage", title="机密故障说明", plan=plan)
    version = incident.history.latest().history_id
    pages = [reverse("admin:backoffice_incident_history", args=[incident.pk]),
             reverse("admin:backoffice_incident_simple_history", args=[incident.pk, version]),
             reverse("admin:backoffice_contingencyplan_history", args=[plan.pk])]
    client.force_login(warehouse)
    for page in pages:
        response = client.get(page)
        assert response.status_code in (403, 404), page
        assert "机密故障说明" not in response.content.decode()
    for user in (clerk, manager):
        client.force_login(user)
        for page in pages:
            assert client.get(page).status_code == 200, (user, page)
