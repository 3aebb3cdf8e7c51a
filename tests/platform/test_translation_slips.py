"""Translation slips: one Chinese word given to two English words that mean different things.

Two slips reached the UI: the history page's column "Object" (对象, the record) read
提出异议 because the appraisal's step "Object" (to object) had been translated first, and
the budget's "Category" read 问题分类 (the ticket's problem category) in the budget tables
and the approval dialog. The checks below pin those, then look for the same kind of slip
in the whole catalogue:

1. a Chinese text shared by English texts that are not variants of each other (case,
   punctuation, singular/plural, "… journal entry"/"… journal") must be a reviewed
   synonym (:data:`SYNONYMS`);
2. a bare word translated like a narrower term ("Category" like "problem category") may
   only be used in the apps where that narrower term is;
3. our catalogue must not translate a string of the vendor catalogue (unfold,
   import-export) differently, since both are one catalogue at run time and ours wins
   (that is how "Object" became 提出异议 on unfold's history page), unless reviewed
   (:data:`VENDOR_OVERRIDES`);
4. the choices of a field, and the steps of a state machine, read differently in Chinese.

Each rule is also run on a small catalogue holding the two slips, to show it finds them.
"""

import re
from collections import defaultdict
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext, pgettext

OURS = Path(settings.BASE_DIR, "locale/zh_Hans/LC_MESSAGES/django.po")
VENDOR = Path(settings.BASE_DIR, "locale_vendor/zh_Hans/LC_MESSAGES/django.po")

#: Chinese texts rightly shared by English texts that differ in more than form (rule 1),
#: reviewed one by one; a new member of a group must be reviewed too. Keys: the msgstr;
#: values: the msgids as :func:`form` reduces them.
SYNONYMS = {
    "主题": {"subject", "topic"},
    "低于再订货点": {"below reorder point", "part below reorder point"},
    "冲销": {"correction", "reverse"},  # a ledger correction is a reversing line
    "冲销记录": {"reversed by", "reversing line"},
    "分仓库存": {"by warehouse", "stock by warehouse"},
    "分派": {"assign", "assignment"},
    "原因": {"cause", "reason"},
    "发布": {"announce", "publish"},  # an update notice is announced, an article published
    "已发布": {"announced", "published"},
    "员工": {"employee", "staff", "staff member"},
    "售后服务管理系统": {"after sale back office", "django site admin"},  # the site's title
    "回访": {"follow up", "return visit"},
    "回访与满意度调查": {"call and survey", "follow up and survey", "follow up call and survey"},
    "培训计划": {"plan", "training plan"},  # "Plan" is a column of the training lists
    "备注": {"comment", "note", "remark"},
    "完成人": {"completed by", "done by"},
    "完成时间": {"done at", "finished at"},
    "审批人": {"approved by", "decided by"},
    "审批时间": {"approved at", "decided at"},
    "客户已确认": {"confirmed by customer"},
    "客户确认": {"customer confirm", "customer s confirmation"},
    "客户确认人": {"confirmed by customer", "confirmed by customer s name"},
    "已暂停": {"paused", "suspended"},  # a ticket's clock; a supplier
    "已解决": {"resolved", "solved"},
    "已超时": {"breached", "overdue"},
    "平均满意度": {"average satisfaction", "mean satisfaction"},
    "开始时间": {"start at", "started at"},
    "引用知识库文章解决": {"resolve with knowledge article", "resolved with knowledge article"},
    "当前预算": {"current", "current budget"},  # the budget tables' column
    "待发放领用单": {"requisition to issue", "requisition waiting to be issued"},
    "待审批": {"submitted for approval", "waiting for approval"},
    "我的回访": {"my follow up", "my follow up call"},
    "报销明细": {"claim line", "expense line"},
    "提交": {"send", "submit"},  # the customer's confirmation page sends its answer
    "时间": {"at", "when"},
    "有库存": {"in stock", "on hand"},
    "有效期至": {"valid to", "valid until"},
    "服务单": {"service record", "ticket"},  # the printed ticket is its service record
    "此链接已失效。": {"this link is no longer valid", "this link is not valid any more"},
    "流转记录": {"journal", "workflow journal"},
    "状态": {"state", "status"},
    "现存量": {"on hand", "stock on hand"},
    "申请人": {"filed by", "requested by"},
    "电话即答": {"answer on first call", "answered on first call"},
    "确认时间": {"acknowledged at", "confirmed at"},
    "等待客户": {"wait for customer", "waiting for customer"},
    "类型": {"kind", "type"},
    "紧急": {"critical emergency", "urgent"},  # the ticket priority; a training need
    "维护巡检": {"maintenance visit", "visit"},
    "编制人": {"drawn up by", "prepared by"},
    "编号": {"code", "no", "number"},
    "联系人": {"contact", "contact person"},
    "超支策略": {"overrun policy", "policy"},
    # the bare "Category" is the reports' (tickets'); the budget's has its own context
    "问题分类": {"category", "problem category"},
    "预约上门": {"make appointment", "schedule on site visit"},
    "领用人": {"received by", "received by 领用人"},
}

#: a bare word that means the same as its longer form wherever it is used (rule 2)
SAME_MEANING = {("contact", "contact person")}

#: strings of the vendor catalogue that ours translates its own way, reviewed (rule 3)
VENDOR_OVERRIDES = {
    "Add": "添加", "New": "新建", "Skipped": "已跳过", "Summary": "汇总", "Value": "数值",
    "Django site admin": "售后服务管理系统",
    # the service report's period buttons; unfold says these only in its infinite
    # paginator, which no list here uses (a context on the report's buttons would free them)
    "Previous": "上一期", "Next": "下一期",
}

STOP_WORDS = {"the", "a", "an"}


def form(msgid: str) -> str:
    """The msgid without case, punctuation, articles, plural endings and a trailing
    "entry": "Ticket journal entries" and "ticket journal" have one form."""
    words = []
    for word in re.sub(r"[^\w%]+", " ", msgid.lower()).split():
        if word in STOP_WORDS:
            continue
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif word.endswith(("ches", "shes", "xes", "sses")):
            word = word[:-2]
        elif len(word) > 2 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
        words.append(word)
    if words and words[-1] == "entry":
        words.pop()
    return " ".join(words)


def translated(po):
    return [e for e in po if not e.obsolete and e.msgstr and "fuzzy" not in e.flags]


def shared_meanings(po) -> dict[str, set[str]]:
    """Rule 1: {msgstr: forms} where unrelated msgids share a msgstr, minus reviewed ones."""
    forms = defaultdict(set)
    for entry in translated(po):
        forms[entry.msgstr].add(form(entry.msgid))
    return {text: found for text, found in forms.items()
            if len(found) > 1 and not found <= SYNONYMS.get(text, set())}


def app_of(path: str) -> str:
    return path.split("/")[0]


def narrow_words_used_widely(po) -> list[tuple[str, str, set[str]]]:
    """Rule 2: (bare msgid, narrower msgid, apps beyond the narrower's) for a bare word
    translated like a narrower term and used in apps the narrower term is not."""
    by_text = defaultdict(list)
    for entry in translated(po):
        by_text[entry.msgstr].append(entry)
    found = []
    for entries in by_text.values():
        for bare in entries:
            if bare.msgctxt:
                continue
            narrower = [e for e in entries if form(e.msgid) != form(bare.msgid)
                        and (form(e.msgid).endswith(" " + form(bare.msgid))
                             or form(e.msgid).startswith(form(bare.msgid) + " "))
                        and (form(bare.msgid), form(e.msgid)) not in SAME_MEANING]
            if not narrower:
                continue
            where = {app_of(path) for path, _line in bare.occurrences}
            allowed = {app_of(path) for e in narrower for path, _line in e.occurrences}
            if where - allowed:
                found.append((bare.msgid, narrower[0].msgid, where - allowed))
    return found


def vendor_overrides(po, vendor) -> dict[str, tuple[str, str]]:
    """Rule 3: {msgid: (ours, vendor's)} where ours differs and is not reviewed."""
    theirs = {(e.msgctxt, e.msgid): e.msgstr for e in translated(vendor)}
    return {e.msgid: (e.msgstr, theirs[(e.msgctxt, e.msgid)]) for e in translated(po)
            if theirs.get((e.msgctxt, e.msgid), e.msgstr) != e.msgstr
            and VENDOR_OVERRIDES.get(e.msgid) != e.msgstr}


@pytest.fixture(scope="module")
def ours():
    return polib.pofile(str(OURS))


@pytest.fixture(scope="module")
def vendor():
    return polib.pofile(str(VENDOR))


# -- the two slips --------------------------------------------------------------------
def test_the_budget_category_is_not_the_tickets_problem_category():
    with translation.override("zh-hans"):
        assert gettext("problem category") == "问题分类"
        assert pgettext("expense category", "Category") == "费用类别"
        rows = [{"label": "差旅", "year": 2026, "amount": "CNY 300.00", "remaining": "CNY 0.00",
                 "after": "CNY -300.00", "over": True, "has_budget": True, "policy": "警告"}]
        dialog = render_to_string("billing/claim_budget.html", {"rows": rows})
        table = render_to_string("billing/budget_figures.html", {"rows": [], "total": {}})
    for html in (dialog, table):
        assert "费用类别" in html and "问题分类" not in html


def test_object_is_the_record_on_the_history_page_and_a_step_of_the_appraisal():
    from backoffice.platform.workflow import transition_label
    from training.models import Appraisal

    with translation.override("zh-hans"):
        assert gettext("Object") == "对象"
        assert transition_label(Appraisal, "dispute") == "提出异议"
    with translation.override("en"):
        assert transition_label(Appraisal, "dispute") == "Object"


def test_known_distinct_words_have_distinct_translations():
    """Pairs seen side by side on one page, or that were mixed up before."""
    pairs = [
        (("problem category", None), ("Category", "expense category")),
        (("Object", None), ("Object", "appraisal step")),
        (("Received", None), ("Resolved", None)),  # the dashboard's two lines
        (("Actual", None), ("Committed", None)),  # the budget report's bars
        (("Current budget", None), ("Actual", None)),
        (("Approve", None), ("Reject", None)),
        (("Overdue", None), ("Due within 2 hours", None)),
        (("Import", None), ("Export", None)),
    ]
    with translation.override("zh-hans"):
        for (a, ctx_a), (b, ctx_b) in pairs:
            first = pgettext(ctx_a, a) if ctx_a else gettext(a)
            second = pgettext(ctx_b, b) if ctx_b else gettext(b)
            assert first != second, (a, b, first)
            assert first != a and second != b, (a, b)  # both translated


# -- the rules over the whole catalogue ----------------------------------------------
def test_no_unreviewed_chinese_text_stands_for_unrelated_english_ones(ours):
    assert shared_meanings(ours) == {}


def test_a_bare_word_translated_as_a_narrower_term_stays_where_that_term_is(ours):
    assert narrow_words_used_widely(ours) == []


def test_our_catalogue_does_not_retranslate_the_vendors_strings(ours, vendor):
    assert vendor_overrides(ours, vendor) == {}


def test_choices_and_steps_read_differently_in_chinese():
    from backoffice.platform import workflow

    clashes = []
    with translation.override("zh-hans"):
        for model in apps.get_models():
            for field in model._meta.fields:
                labels = [str(label) for _value, label in (field.flatchoices or [])]
                if len(set(labels)) != len(labels):
                    clashes.append((model.__name__, field.name, labels))
        for model, _transitions in workflow.state_machines():
            labels = [str(info.label) for info in workflow.transitions_of(model)]
            if len(set(labels)) != len(labels):
                clashes.append((model.__name__, "steps", labels))
    assert clashes == []


def slipped_catalogue():
    """The two slips as they were, in a catalogue of their own."""
    po = polib.POFile()
    for msgid, msgstr, where in [
        ("problem category", "问题分类", "backoffice/desk/models/tickets.py"),
        ("Category", "问题分类", "billing/templates/billing/budget_figures.html"),
        ("Object", "提出异议", "training/models/appraisals.py"),
    ]:
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr, occurrences=[(where, "1")]))
    return po


def test_the_rules_find_the_slips_we_had():
    po = slipped_catalogue()
    vendor = polib.POFile()
    vendor.append(polib.POEntry(msgid="Object", msgstr="对象"))
    assert narrow_words_used_widely(po) == [("Category", "problem category", {"billing"})]
    assert vendor_overrides(po, vendor) == {"Object": ("提出异议", "对象")}
    po.append(polib.POEntry(msgid="Reject", msgstr="问题分类", occurrences=[("x.py", "1")]))
    assert set(shared_meanings(po)) == {"问题分类"}  # "reject" joined the group


def test_forms_fold_only_what_does_not_change_the_meaning():
    assert form("Ticket journal entries") == form("ticket journal") == "ticket journal"
    assert form("Customers") == form("customer") and form("Status") == "status"
    assert form("This link is no longer valid.") == "this link is no longer valid"
    assert form("Follow-ups") == "follow up" and form("disposal batches") == "disposal batch"
    assert form("Resolve") != form("Resolved")
