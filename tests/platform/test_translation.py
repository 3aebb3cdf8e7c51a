"""The Chinese UI is complete: every string of ours is translated, and pages speak it."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from backoffice.desk import workflows as wf

CATALOGS = ["locale/zh_Hans/LC_MESSAGES/django.po", "locale_vendor/zh_Hans/LC_MESSAGES/django.po"]


@pytest.mark.parametrize("path", CATALOGS)
def test_catalog_is_complete(path):
    po = polib.pofile(str(Path(settings.BASE_DIR, path)))
    missing = [e.msgid for e in po
               if "fuzzy" in e.flags or not (e.msgstr or any(e.msgstr_plural.values()))]
    assert not missing, missing[:20]


def test_labels_are_chinese():
    with translation.override("zh-hans"):
        assert str(wf.TicketStatus.IN_PROGRESS.label) == "处理中"
        assert str(wf.Category.BUG.label) == "软件BUG"


@pytest.mark.django_db
def test_admin_pages_speak_chinese_by_default(client, clerk, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(clerk)
    with translation.override("zh-hans"):
        page = client.get(reverse("admin:backoffice_ticket_changelist"),
                          HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "服务单" in page and "筛选" in page


@pytest.mark.django_db
def test_english_is_one_switch_away(client, clerk):
    client.force_login(clerk)
    client.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    page = client.get(reverse("admin:backoffice_ticket_changelist")).content.decode()
    assert "Tickets" in page or "tickets" in page
