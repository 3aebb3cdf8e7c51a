"""The shared printing mechanism: Chinese PDFs with their fonts, nothing fetched, the
language of the paper, the journal for paper, and every printable admin wired alike.

The documents themselves are tested in their domains (tests/desk/test_service_record_print.py,
tests/inventory/test_print.py, tests/billing/test_print.py)."""

import io

import pytest
from django.contrib.admin import site
from django.template.loader import get_template
from django.urls import reverse
from pypdf import PdfReader

from backoffice.platform import printing
from backoffice.platform.admin.printing import PrintableAdmin
from backoffice.platform.workflow import apply_transition
from tests.factories import TicketFactory

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 15mm }}
body {{ font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", sans-serif }}
</style>{head}</head><body>{body}</body></html>"""


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_pdf_carries_chinese_text_in_a_chinese_font():
    """The machine has a CJK font (scripts/bootstrap.sh installs it): without one the
    characters would be empty boxes and could not be read back."""
    data = printing.html_to_pdf(PAGE.format(head="", body="<p>华东电力公司 服务单 SR202601-00001</p>"))
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "华东电力公司" in text and "服务单" in text and "SR202601-00001" in text
    page = PdfReader(io.BytesIO(data)).pages[0]
    width_mm, height_mm = (float(v) * 25.4 / 72 for v in page.mediabox[2:])
    assert round(width_mm) == 210 and round(height_mm) == 297  # A4


def test_the_pdf_renderer_reads_data_urls_and_nothing_else(tmp_path):
    """A printout never makes the server read a file or open a connection."""
    secret = tmp_path / "secret.css"
    secret.write_text('body::after { content: "LEAKED-FILE" }')
    head = (f'<link rel="stylesheet" href="file://{secret}">'
            '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
            '<link rel="stylesheet" href="data:text/css,body::before%7Bcontent:%22DATA-OK%22%7D">')
    text = pdf_text(printing.html_to_pdf(PAGE.format(head=head, body="<p>正文</p>")))
    assert "DATA-OK" in text and "LEAKED-FILE" not in text


@pytest.mark.parametrize(("asked", "language"), [(None, "zh-hans"), ("", "zh-hans"),
                                                 ("en", "en"), ("zh-hans", "zh-hans"),
                                                 ("fr", "zh-hans"), ("../etc", "zh-hans")])
def test_a_printout_is_chinese_unless_another_site_language_is_asked(asked, language):
    assert printing.print_language(asked) == language


@pytest.mark.django_db
def test_the_journal_for_paper_is_oldest_first_with_readable_labels(clerk, engineer):
    ticket = TicketFactory()
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer, note="转给工程师")
    apply_transition(ticket, "start", actor=engineer)
    entries = printing.journal(ticket)
    assert [e["name"] for e in entries] == ["assign", "start"]
    assert entries[0]["action"] == "Assign" and entries[0]["by"] == "clerk"
    assert entries[0]["source"] == "New" and entries[0]["target"] == "Assigned"
    assert entries[0]["note"] == "转给工程师"
    assert printing.last_step(entries, "start")["by"] == "engineer"
    assert printing.last_step(entries, "close") is None


def test_every_printable_admin_has_its_template_pages_and_button():
    printable = {model: admin for model, admin in site._registry.items()
                 if isinstance(admin, PrintableAdmin)}
    labels = {model._meta.label for model in printable}
    assert {"backoffice.Ticket", "inventory.Requisition", "inventory.ScrapRequest",
            "billing.ExpenseClaim"} <= labels
    for model, admin in printable.items():
        get_template(admin.print_template)  # exists and compiles
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert reverse(f"{info}_print", args=[7]).endswith("/7/print/")
        assert reverse(f"{info}_pdf", args=[7]).endswith("/7/pdf/")
        assert reverse(f"{info}_print_document", args=[7]).endswith("/7/printout/")
        assert admin.actions_detail[0] == "print_document"
