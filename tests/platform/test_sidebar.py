"""The sidebar's entries read as their models are named: acronyms keep their capitals."""

import pytest
from django.apps import apps
from django.utils import translation
from django.utils.text import capfirst

from backoffice.platform import domains
from backoffice.platform.navigation import sidebar

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_entries_without_a_title_of_their_own_show_the_models_plural_name(rf, superuser,
                                                                           language):
    request = rf.get("/admin/")
    request.user = superuser
    with translation.override(language):
        titles = {str(item["title"]) for group in sidebar(request) for item in group["items"]}
        expected = set()
        for domain, module in domains.modules("dashboard"):
            for model_name, _icon, *rest in getattr(module, "SIDEBAR_ITEMS", []):
                if len(rest) < 2:  # no title of its own
                    model = apps.get_model(domains.app_label(domain), model_name)
                    expected.add(capfirst(str(model._meta.verbose_name_plural)))
    assert expected and expected <= titles
    if language == "en":
        assert "KPI targets" in titles
