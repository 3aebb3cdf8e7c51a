"""The seven roles of the department as Django groups, and the one permission matrix.

Each app declares in its ``roles.py`` which permissions each role holds there;
:func:`permission_matrix` merges them, :func:`sync_roles` makes the groups match it
exactly (idempotent: run after every migrate and by ``manage.py setup_roles``), and
``manage.py setup_roles --markdown`` prints the matrix for the README.
"""

from importlib import import_module

from django.utils.translation import gettext_lazy as _

ROLE_APPS = ["backoffice", "inventory", "billing", "training"]

#: role key -> (group name, description). Group names are stable identifiers.
ROLES = {
    "clerk": ("客服专员 Customer service clerk",
              _("Takes calls, records tickets, forwards them, follows up, runs surveys")),
    "engineer": ("技术支持工程师 Support engineer",
                 _("Diagnoses and fixes, writes the service record, takes parts, files "
                   "scrap requests and expense claims, writes articles")),
    "manager": ("售后经理 After-sales manager",
                _("Assigns and reviews work, handles complaints, approves scrap and claims, "
                  "reviews articles, runs appraisals, owns the training plan")),
    "business": ("商务经理 Business manager",
                 _("Evaluates new-requirement tickets: change or not, charge or not, when")),
    "warehouse": ("仓库管理员 Warehouse keeper",
                  _("Receives and issues spare parts, runs stocktakes")),
    "trainer": ("培训专员 Training specialist",
                _("Collects training needs, plans and runs sessions, evaluates results")),
    "finance": ("财务 / 公司领导 Finance / leadership",
                _("Approves the annual budget and its adjustments, pays approved claims")),
}


def crud(model_label: str, *verbs: str) -> list[str]:
    """``crud("backoffice.ticket", "view", "add")`` -> the model permission names."""
    app, model = model_label.split(".")
    return [f"{app}.{verb}_{model}" for verb in verbs]


ALL = ("view", "add", "change", "delete")

_desk_reference = [*crud("backoffice.product", "view"), *crud("backoffice.productversion", "view"),
                   *crud("backoffice.slapolicy", "view"),
                   *crud("backoffice.businesscalendar", "view")]

# knowledge base, maintenance, update notices, follow-ups and reports (issue 6)
_care_journals = [f"backoffice.view_{m}event" for m in ("article", "maintenancevisit", "updatenotice",
                                                       "updaterecipient", "followup")]
_care_reference = [*_care_journals, *crud("backoffice.article", "view"),
                   *crud("backoffice.articleuse", "view"),
                   *crud("backoffice.maintenanceplan", "view"),
                   *crud("backoffice.maintenancevisit", "view"),
                   *crud("backoffice.updatenotice", "view"),
                   *crud("backoffice.updaterecipient", "view"), *crud("backoffice.followup", "view")]
_care_all = [*_care_journals, *crud("backoffice.article", *ALL),
             *crud("backoffice.articleattachment", *ALL),
             *crud("backoffice.articleuse", "view"),
             *crud("backoffice.maintenanceplan", *ALL),
             *crud("backoffice.maintenancevisit", "view", "add", "change"),
             *crud("backoffice.updatenotice", *ALL),
             *crud("backoffice.updaterecipient", "view", "change"),
             *crud("backoffice.followup", "view", "add", "change")]

PERMISSIONS: dict[str, list[str]] = {
    "clerk": [
        *crud("backoffice.customer", "view", "add", "change"),
        *crud("backoffice.contact", *ALL), *crud("backoffice.installedproduct", *ALL),
        *_desk_reference,
        *crud("backoffice.ticket", "view", "add", "change"),
        "backoffice.assign_ticket", "backoffice.confirm_ticket", "backoffice.close_ticket",
        "backoffice.cancel_ticket", "backoffice.reopen_ticket",
        *_care_reference, *crud("backoffice.updaterecipient", "change"),
        *crud("backoffice.followup", "add", "change"),
        "backoffice.handle_updaterecipient", "backoffice.perform_followup",
    ],
    "engineer": [
        *crud("backoffice.customer", "view"), *crud("backoffice.contact", "view", "add", "change"),
        *crud("backoffice.installedproduct", "view", "add", "change"),
        *_desk_reference,
        *crud("backoffice.ticket", "view", "change"),
        "backoffice.work_ticket", "backoffice.confirm_ticket", "backoffice.close_ticket",
        "backoffice.reopen_ticket",
        *_care_reference, *crud("backoffice.article", "add", "change"),
        *crud("backoffice.articleattachment", *ALL), "backoffice.write_article",
        *crud("backoffice.maintenancevisit", "change"), "backoffice.record_maintenancevisit",
        *crud("backoffice.updaterecipient", "change"), "backoffice.handle_updaterecipient",
    ],
    "manager": [
        *crud("backoffice.customer", *ALL), *crud("backoffice.contact", *ALL),
        *crud("backoffice.installedproduct", *ALL), *crud("backoffice.product", *ALL),
        *crud("backoffice.productversion", *ALL), *crud("backoffice.slapolicy", *ALL),
        *crud("backoffice.businesscalendar", *ALL), *crud("backoffice.workingperiod", *ALL),
        *crud("backoffice.calendarday", *ALL),
        *crud("backoffice.ticket", "view", "add", "change"),
        "backoffice.assign_ticket", "backoffice.work_ticket", "backoffice.supervise_ticket",
        "backoffice.handle_complaint", "backoffice.confirm_ticket", "backoffice.close_ticket",
        "backoffice.cancel_ticket", "backoffice.reopen_ticket",
        *_care_all, "backoffice.write_article", "backoffice.publish_article",
        "backoffice.record_maintenancevisit", "backoffice.supervise_maintenancevisit",
        "backoffice.manage_updatenotice", "backoffice.handle_updaterecipient",
        "backoffice.perform_followup", "backoffice.view_report",
    ],
    "business": [
        *crud("backoffice.customer", "view"), *crud("backoffice.contact", "view"),
        *crud("backoffice.installedproduct", "view"), *_desk_reference,
        *crud("backoffice.ticket", "view"), "backoffice.evaluate_requirement",
        *crud("backoffice.article", "view"), *crud("backoffice.updatenotice", "view"),
        "backoffice.view_articleevent", "backoffice.view_updatenoticeevent",
    ],
    "warehouse": [
        *crud("backoffice.customer", "view"), *crud("backoffice.product", "view"),
        *crud("backoffice.ticket", "view"),
    ],
    "trainer": [
        *crud("backoffice.customer", "view"), *crud("backoffice.contact", "view"),
        *_desk_reference, *crud("backoffice.ticket", "view"),
        *crud("backoffice.article", "view"), "backoffice.view_articleevent",
    ],
    "finance": [
        *crud("backoffice.customer", "view"), *crud("backoffice.ticket", "view"),
        "backoffice.view_report",
    ],
}


#: what every role holds: their own background import/export jobs (the list is filtered to
#: the owner's jobs)
EVERY_ROLE = [*crud("backoffice.datajob", "view", "delete")]


def permission_matrix() -> dict[str, set[str]]:
    """role key -> every "app_label.codename" the role holds, across the four apps."""
    matrix: dict[str, set[str]] = {role: set(EVERY_ROLE) for role in ROLES}
    for app in ROLE_APPS:
        module = import_module(f"{app}.roles")
        for role, perms in module.PERMISSIONS.items():
            if role not in ROLES:
                raise KeyError(f"{app}.roles names an unknown role {role!r}")
            matrix[role].update(perms)
    return matrix


def group_name(role: str) -> str:
    return ROLES[role][0]


def sync_roles(stdout=None) -> None:
    """Make the seven groups hold exactly the matrix's permissions."""
    from django.contrib.auth.models import Group, Permission

    by_name = {f"{p.content_type.app_label}.{p.codename}": p
               for p in Permission.objects.select_related("content_type")}
    for role, perms in permission_matrix().items():
        missing = sorted(perms - by_name.keys())
        if missing:
            raise LookupError(f"Role {role} names unknown permissions: {', '.join(missing)}")
        group, _created = Group.objects.get_or_create(name=group_name(role))
        group.permissions.set([by_name[p] for p in perms])
        if stdout:
            stdout.write(f"{group.name}: {len(perms)} permissions")


def sync_after_migrate(sender, app_config=None, using="default", **kwargs):
    """post_migrate hook: once every app's permissions exist, align the groups."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    if app_config is None or app_config.label != ROLE_APPS[-1]:
        return
    for config in apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    sync_roles()


def users_in_role(role: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(groups__name=group_name(role), is_active=True)


def matrix_markdown() -> str:
    """The permission matrix as Markdown: one section per role, one line per model."""
    from collections import defaultdict

    out = ["# Roles and permissions", "",
           "Generated by `manage.py setup_roles --markdown` from the one permission matrix "
           "(`backoffice.roles.permission_matrix`); a test keeps this file in step.", ""]
    for role, perms in permission_matrix().items():
        out += [f"## {group_name(role)}", "", str(ROLES[role][1]), "",
                "| app | model permissions | workflow permissions |", "|---|---|---|"]
        by_app = defaultdict(lambda: (defaultdict(list), []))
        for perm in sorted(perms):
            app, codename = perm.split(".")
            verb, _, model = codename.partition("_")
            if verb in {"view", "add", "change", "delete"}:
                by_app[app][0][model].append(verb)
            else:
                by_app[app][1].append(codename)
        for app, (models, workflow) in sorted(by_app.items()):
            crud_text = "; ".join(f"{m}: {'/'.join(v)}" for m, v in sorted(models.items()))
            out.append(f"| {app} | {crud_text} | {', '.join(workflow)} |")
        out.append("")
    return "\n".join(out + transitions_markdown())


def transitions_markdown() -> list[str]:
    """The transition matrix: one row per workflow step, one column per role."""
    from django.apps import apps

    from backoffice.workflow import transition_label

    scope_text = {ANY: "yes", OWN: "own only", OTHERS: "not own"}
    owners = owner_fields()
    out = ["# Workflow steps", "",
           "Who may press each workflow button (`TRANSITIONS` in each app's `roles.py`). "
           "*own only*: on their own document; *not own*: never on their own (four eyes). "
           "A test runs every step's rule for every role and compares it with this table.", "",
           "| document (whose) | step | " + " | ".join(ROLES) + " |",
           "|---|---|" + "---|" * len(ROLES)]
    for label, steps in transition_matrix().items():
        model = apps.get_model(label)
        whose = ", ".join(owners.get(label, ())) or "-"
        for name, who in steps.items():
            cells = " | ".join(scope_text[who[role]] if role in who else "" for role in ROLES)
            out.append(f"| {model._meta.verbose_name} ({whose}) | "
                       f"{transition_label(model, name)} `{name}` | {cells} |")
    out.append("")
    return out


# -- who runs each workflow step ----------------------------------------------------------
# Each app's roles.py also declares TRANSITIONS: model -> transition -> {role: scope}, and
# OWNERS: model -> the fields that make a document someone's own. Scope "any": on every
# document; "own": only on their own; "others": never on their own (four eyes). "*" stands
# for every role. A test runs every transition's permission rule for every role on an own
# and on someone else's document and compares the outcome with this matrix.
ANY, OWN, OTHERS = "any", "own", "others"
EVERYONE = "*"

OWNERS = {
    "ticket": ("assignee",),
    "maintenancevisit": ("engineer",),
    "article": ("author",),
}

_front_desk = {"clerk": ANY, "engineer": ANY, "manager": ANY}
_engineer_at_work = {"engineer": OWN, "manager": ANY}  # the assignee, or a supervisor

TRANSITIONS = {
    "ticket": {
        "assign": {"clerk": ANY, "manager": ANY},
        "start": _engineer_at_work,
        "wait_for_customer": _engineer_at_work,
        "resume": _engineer_at_work,
        "schedule_visit": _engineer_at_work,
        "finish_visit": _engineer_at_work,
        "escalate": _engineer_at_work,
        "refer_requirement": {"clerk": ANY, "engineer": OWN, "manager": ANY},
        "evaluate_requirement": {"business": ANY},
        "refer_complaint": {"clerk": ANY, "engineer": OWN, "manager": ANY},
        "resolve_complaint": {"manager": ANY},
        "reopen_complaint": _front_desk,
        "resolve": _engineer_at_work,
        "confirm": _front_desk,
        "reopen": _front_desk,
        "close": _front_desk,
        "cancel": {"clerk": ANY, "manager": ANY},
    },
    "maintenancevisit": {
        "make_appointment": _engineer_at_work,
        "complete": _engineer_at_work,
        "skip": {"manager": ANY},
    },
    "updatenotice": {name: {"manager": ANY}
                     for name in ("announce", "refresh_recipients", "close", "cancel")},
    "updaterecipient": {name: _front_desk for name in ("notify", "mark_updated", "decline")},
    "followup": {name: {"clerk": ANY, "manager": ANY}
                 for name in ("record", "not_reached", "give_up", "cancel")},
    "article": {
        "submit": {"engineer": ANY, "manager": ANY},
        "revise": {"engineer": ANY, "manager": ANY},
        "send_back": {"manager": ANY},
        "publish": {"manager": OTHERS},
        "confirm_current": {"manager": ANY},
        "retire": {"manager": ANY},
    },
}


def transition_matrix() -> dict[str, dict[str, dict[str, str]]]:
    """"app.model" -> transition -> {role: scope} for every role that may run it."""
    matrix = {}
    for app in ROLE_APPS:
        for model, steps in import_module(f"{app}.roles").TRANSITIONS.items():
            matrix[f"{app}.{model}"] = {
                name: ({role: who[EVERYONE] for role in ROLES} if EVERYONE in who else dict(who))
                for name, who in steps.items()}
    return matrix


def owner_fields() -> dict[str, tuple[str, ...]]:
    """"app.model" -> the fields naming the person whose document it is."""
    return {f"{app}.{model}": fields for app in ROLE_APPS
            for model, fields in import_module(f"{app}.roles").OWNERS.items()}
