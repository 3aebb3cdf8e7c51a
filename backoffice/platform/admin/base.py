"""Admin building blocks shared by the four apps.

``BackofficeAdmin`` is the one ModelAdmin base: unfold look, history, import/export with
the safe forms, optimistic locking on the change form, and - for models with a state
machine - one dialog button per transition, routed through ``apply_transition``.
"""

import contextvars
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.module_loading import import_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats
from import_export.results import Result
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display

from backoffice.platform import budget, formats, people, roles, workflow
from backoffice.platform.formats import UnreadableFile
from backoffice.platform.forms import ExportForm, SafeImportForm, TransitionForm
from backoffice.platform.models import ConcurrentEdit, ImportSubmission, VersionedModel
from backoffice.platform.paginator import EstimatedCountPaginator

#: set while an import request asked for "Import now" (admins are shared between threads)
_import_now = contextvars.ContextVar("import_now", default=False)

VARIANTS = {"primary", "success", "info", "warning", "danger", "default"}


def _has_state_machine(model) -> bool:
    try:
        workflow.state_field(model)
    except LookupError:
        return False
    return True


class VersionField(forms.CharField):
    """The hidden token: the version of the record the page showed. It is not a change
    of its own (so an inline row is saved only when the user changed something in it)."""

    widget = forms.HiddenInput

    def has_changed(self, initial, data):
        return False


class VersionCheckedForm(forms.ModelForm):
    """Carries the version the user saw; saving over a newer version, or without saying
    which version was seen, is refused.

    The change form is always saved, so it is always checked; an inline row only when it
    changed (the formset writes only those)."""

    _version = VersionField(required=False)
    #: set on the forms of inline rows
    check_only_when_changed = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk or (self.check_only_when_changed and not self.has_changed()):
            return cleaned
        try:
            seen = int(cleaned.get("_version") or "")
        except ValueError:
            raise ValidationError(
                _("This page does not say which version of the record you opened (it was "
                  "probably opened before an update of the system), so saving it could "
                  "overwrite someone else's changes. Reload the page, then make your "
                  "changes again."),
                code="no_version",
            ) from None
        if seen != self.instance.version:
            raise ValidationError(
                _("This record was changed by someone else after you opened it. "
                  "Reload the page to see their changes, then make yours again."),
                code="stale",
            )
        return cleaned


def version_checked(form, *, inline=False):
    """``form`` carrying and checking the version token (the class is made once)."""
    if issubclass(form, VersionCheckedForm):
        return form
    key = (form, inline)
    if key not in _version_checked_forms:
        _version_checked_forms[key] = type(
            "VersionChecked" + form.__name__, (VersionCheckedForm, form),
            {"check_only_when_changed": inline, "__module__": form.__module__})
    return _version_checked_forms[key]


_version_checked_forms: dict = {}


def _make_transition_action(info: workflow.TransitionInfo):
    """One unfold detail action (a dialog POST) for one FSM transition."""

    variant = info.variant if info.variant in VARIANTS else "default"

    @action(description=info.label, url_path=f"transition/{info.name}", icon=info.icon,
            variant=variant,
            dialog={"title": info.label, "form_class": info.form_class or TransitionForm,
                    "form_submit_text": info.label})
    def transition_action(model_admin, request, form, object_id):
        obj = get_object_or_404(model_admin.get_queryset(request), pk=object_id)
        # a step with consequences beyond the document runs its service (which itself goes
        # through apply_transition), so the button does what the code path does
        run = model_admin.transition_services.get(info.name)
        run = import_string(run) if isinstance(run, str) else workflow.apply_transition
        try:
            run(obj, info.name, actor=request.user, note=form.cleaned_data.get("note", ""),
                **form.transition_kwargs())
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": info.label})
        return back_to_page(request, admin_url(obj, "change", object_id))

    @wraps(transition_action)  # unfold's attributes (dialog, url_path …) are kept
    def guarded_action(model_admin, request, *args, **kwargs):
        """A step the user may not run now, opened by its URL (GET of the dialog or a
        forged POST), goes back to the document's page saying why: no blank page."""
        object_id = kwargs.get("object_id")
        obj = get_object_or_404(model_admin.get_queryset(request), pk=unquote(object_id))
        refusal = workflow.transition_refusal(obj, info.name, request.user)
        if refusal is not None:
            messages.error(request, error_text(refusal))
            return back_to_page(request, admin_url(obj, "change", obj.pk))
        return transition_action(model_admin, request, *args, **kwargs)

    guarded_action.__name__ = f"transition_{info.name}"
    return guarded_action


def error_text(exc) -> str:
    """The user-facing text of a ValidationError or PermissionDenied."""
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


def back_to_page(request, url):
    """Back to a page after a dialog: htmx follows ``HX-Redirect`` (a redirect it would
    follow inside the dialog); a plain request gets an ordinary redirect, which carries
    the header too."""
    if request.headers.get("HX-Request"):
        return HttpResponse(headers={"HX-Redirect": url})
    response = redirect(url)
    response["HX-Redirect"] = url
    return response


class BudgetPositionMixin:
    """The budget position panel on the page of a document that asks for money (its
    model has ``budget_requests()``, see ``platform.budget``): budget, actual, committed,
    remaining, this document's amount and what it leaves, per category and year, while
    it is drafted and submitted - so the submitter meets an overrun before the approver.
    The figures are the category's totals, never anyone else's documents."""

    #: states in which the page shows the panel
    budget_panel_states: tuple = ()
    #: the field in which the submitter's confirmed overrun waits for the approver
    budget_note_field = "budget_note"
    #: states in which that field holds the submitter's confirmation
    budget_confirmed_states: tuple = ()

    def budget_requests_when_adding(self, request):
        """What a new document is known to ask before it is saved (nothing by default:
        the panel says it appears once the lines are saved)."""
        return []

    def budget_panel(self, request, obj):
        state = workflow.state_field(self.model).name
        if obj is None:
            return {"positions": budget.positions(self.budget_requests_when_adding(request)),
                    "pending": True}
        if getattr(obj, state) not in self.budget_panel_states:
            return None
        confirmed = (getattr(obj, self.budget_note_field, "")
                     if getattr(obj, state) in self.budget_confirmed_states else "")
        return {"positions": budget.positions_of(obj), "confirmed": confirmed}

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        context["budget_panel"] = self.budget_panel(request, obj if change else None)
        return super().render_change_form(request, context, add, change, form_url, obj)


class BackofficeAdmin(SimpleHistoryAdmin, ImportExportModelAdmin, ModelAdmin):
    """The base ModelAdmin of every business model."""

    #: transition name -> dotted path of a service run instead of the bare transition,
    #: called like apply_transition(obj, name, actor=..., note=..., **form values)
    transition_services: dict[str, str] = {}

    import_form_class = SafeImportForm
    export_form_class = ExportForm
    list_per_page = 50
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    #: unfold's row sections, none: its result rows ask for them twice a row, and a
    #: missing attribute costs a ``dir()`` of the admin in the template engine (~0.1 ms)
    list_sections = ()
    #: and its conditional fields, none: asked for once a field on the change form
    conditional_fields = {}  # noqa: RUF012 (unfold's own name and type)
    warn_unsaved_form = True
    compressed_fields = True

    def __init__(self, model, admin_site):
        self._transitions = workflow.transitions_of(model) if _has_state_machine(model) else []
        for info in self._transitions:
            setattr(self, f"transition_{info.name}",
                    _make_transition_action(info).__get__(self, type(self)))
        self.actions_detail = [*self.actions_detail,
                               *[f"transition_{info.name}" for info in self._transitions]]
        if self.resource_classes:
            self.actions_list = [*self.actions_list, "background_import", "background_export"]
        super().__init__(model, admin_site)
        if self._transitions:
            self._wrap_for_state_machine()

    # -- background import/export (large files) --------------------------------------------
    @action(description=_("Import in background"), url_path="background-import",
            icon="cloud_upload")
    def background_import(self, request):
        from backoffice.platform.admin.jobs import background_import_view

        return background_import_view(self, request)

    @action(description=_("Export all in background"), url_path="background-export",
            icon="cloud_download")
    def background_export(self, request):
        from backoffice.platform.admin.jobs import background_export_view

        return background_export_view(self, request)

    def get_actions_list(self, request):
        allowed = {"background_import": self.has_import_permission(request),
                   "background_export": self.has_export_permission(request)}
        return [a for a in super().get_actions_list(request)
                if allowed.get(a.action_name.rsplit(f"{self.model._meta.model_name}_", 1)[-1],
                               True)]

    def get_object(self, request, object_id, from_field=None):
        """Read once per page view: the change form, its workflow buttons and the panels
        under it all ask for the record. Only on GET: on a POST the form may have changed
        the instance, and the next question must see the stored row."""
        if request.method != "GET":
            return super().get_object(request, object_id, from_field)
        seen = request.__dict__.setdefault("_backoffice_objects", {})
        key = (self.model, str(object_id), from_field)
        if key not in seen:
            seen[key] = self._read_object(request, object_id, from_field)
        return seen[key]

    #: relations the page of one record draws (its pickers' chosen values, read-only
    #: people and policies): read with the record, not one query each
    change_select_related: tuple = ()

    def object_queryset(self, request, queryset):
        """The queryset one record of the page is read from (``change_select_related``
        joined; an admin may annotate what its panels count)."""
        if self.change_select_related:
            queryset = queryset.select_related(*self.change_select_related)
        return queryset

    def _read_object(self, request, object_id, from_field=None):
        """ModelAdmin.get_object, from ``object_queryset``."""
        queryset = self.object_queryset(request, self.get_queryset(request))
        model = queryset.model
        field = model._meta.pk if from_field is None else model._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (model.DoesNotExist, ValidationError, ValueError):
            return None

    # -- who edits a document ------------------------------------------------------------
    def has_change_permission(self, request, obj=None):
        """The change permission, and for a document the role matrix's EDITORS (the
        service record is the assignee's): whoever else may see it gets the read-only
        page, and a POST of it is refused."""
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return roles.may_edit(obj, request.user)

    # -- state machine -----------------------------------------------------------------
    def get_actions_detail(self, request, object_id):
        """The buttons of the transitions this user has the permission for from the
        object's state; those whose conditions are unmet are drawn disabled, with the
        reasons (render_change_form marks them)."""
        actions = super().get_actions_detail(request, object_id)
        if not self._transitions:
            return actions
        shown = self.transition_choices(request, object_id)
        prefix = f"{self.model._meta.app_label}_{self.model._meta.model_name}_transition_"
        return [a for a in actions
                if not a.action_name.startswith(prefix)
                or a.action_name.removeprefix(prefix) in shown]

    def transition_choices(self, request, object_id) -> dict[str, list[str]]:
        """{transition name: unmet conditions (empty: it may run now)} of the transitions
        the user has the permission for on this object; worked out once per request."""
        seen = request.__dict__.setdefault("_backoffice_transitions", {})
        key = (self.model, str(object_id))
        if key not in seen:
            obj = self.get_object(request, object_id)
            seen[key] = ({c.name: c.reasons
                          for c in workflow.transition_choices(obj, request.user)}
                         if obj is not None else {})
        return seen[key]

    def _mark_disabled_transitions(self, request, context, obj):
        """Give the detail actions of transitions that may not run yet ``disabled`` and
        their ``reasons``, for unfold/helpers/tab_actions.html (drawn as a disabled
        button, the reasons in a tooltip that screen readers read too)."""
        blocked = {name: reasons for name, reasons
                   in self.transition_choices(request, obj.pk).items() if reasons}
        if not blocked or not context.get("actions_detail"):
            return
        prefix = f"{self.admin_site.name}:{self.model._meta.app_label}_" \
                 f"{self.model._meta.model_name}_transition_"
        paths = {reverse(prefix + name, args=[obj.pk]): (name, reasons)
                 for name, reasons in blocked.items()}
        for item in context["actions_detail"]:
            if isinstance(item, dict) and item.get("path") in paths:
                name, reasons = paths[item["path"]]
                item.update(disabled=True, reasons=reasons, transition=name,
                            variant="default", dialog=None)

    def _wrap_for_state_machine(self):
        """Whatever a subclass does in get_fieldsets/get_readonly_fields, the state field
        stays read-only (STACK.md pitfall 5) and the journal closes the page."""
        own_fieldsets, own_readonly = self.get_fieldsets, self.get_readonly_fields
        locked = (workflow.state_field(self.model).name, "workflow_journal")

        def get_fieldsets(request, obj=None):
            return self.with_journal(own_fieldsets(request, obj), obj)

        def get_readonly_fields(request, obj=None):
            readonly = list(own_readonly(request, obj))
            return readonly + [name for name in locked if name not in readonly]

        self.get_fieldsets, self.get_readonly_fields = get_fieldsets, get_readonly_fields

    def with_journal(self, fieldsets, obj):
        """The workflow journal closes every document's page (read-only, newest first)."""
        if not self._transitions or obj is None:
            return fieldsets
        cleaned = []
        for name, options in fieldsets:
            fields = [f for f in options.get("fields", []) if f != "workflow_journal"]
            cleaned.append((name, {**options, "fields": fields}))
        return [*cleaned, (_("Workflow journal"), {"fields": ["workflow_journal"]})]

    #: the newest journal entries a document's page shows
    journal_shown = 200

    def journal_entries(self, obj) -> tuple[list, bool]:
        """(the newest ``journal_shown`` events of ``obj``, whether that is all of them),
        read once for the page (the ticket's conversation shows them too)."""
        if "_journal_entries" not in obj.__dict__:
            entries = list(obj.events.select_related("actor")
                           .order_by("-created_at", "-id")[:self.journal_shown + 1])
            obj._journal_entries = (entries[:self.journal_shown],
                                    len(entries) <= self.journal_shown)
        return obj._journal_entries

    @display(description=_("journal"))
    def workflow_journal(self, obj):
        entries = self.journal_entries(obj)[0]
        if not entries:
            return _("No workflow step yet.")
        model = type(obj)
        rows = format_html_join("", "<tr class='border-t border-base-200 dark:border-base-700'>"
                                    "<td class='pr-4 py-1 whitespace-nowrap'>{}</td>"
                                    "<td class='pr-4 py-1'>{}</td><td class='pr-4 py-1'>{}</td>"
                                    "<td class='pr-4 py-1'>{} → {}</td><td class='py-1'>{}</td></tr>",
                                ((timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M"),
                                  people.display_name(e.actor),
                                  workflow.transition_label(model, e.action),
                                  workflow.state_label(model, e.source),
                                  workflow.state_label(model, e.target), e.note)
                                 for e in entries))
        head = format_html("<tr><th class='pr-4 text-left'>{}</th><th class='pr-4 text-left'>{}</th>"
                           "<th class='pr-4 text-left'>{}</th><th class='pr-4 text-left'>{}</th>"
                           "<th class='text-left'>{}</th></tr>", _("at"), _("by"), _("action"),
                           _("state"), _("comment"))
        return format_html("<table class='text-sm w-full'>{}{}</table>", head, rows)

    # -- optimistic locking ------------------------------------------------------------
    def get_form(self, request, obj=None, change=False, **kwargs):
        if issubclass(self.model, VersionedModel):
            kwargs["form"] = version_checked(kwargs.get("form", self.form))
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        """The token is no field of the page: the change form carries it hidden, whatever
        the fieldsets (see render_change_form)."""
        return [f for f in super().get_fields(request, obj) if f != "_version"]

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        adminform = context.get("adminform")
        form = getattr(adminform, "form", None)
        if (change and obj is not None and isinstance(form, VersionCheckedForm)
                and self.has_change_permission(request, obj)):
            # rendered at the top of the <form> by admin/change_form.html
            context["version_token"] = str(form["_version"])
        if change and obj is not None:
            if form is not None:
                _pickers_show_loaded_choices(form)
            if self._transitions:
                self._mark_disabled_transitions(request, context, obj)
            if self._nothing_to_save(request, context, form, obj):
                # no save buttons; admin/change_form.html leaves the bar out altogether
                # unless it still offers something (deleting)
                context.update(show_save=False, show_save_and_continue=False,
                               show_save_and_add_another=False, nothing_to_save=True)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _nothing_to_save(self, request, context, form, obj) -> bool:
        """A page the user may only read: the record is not theirs to change (permission,
        EDITORS), or every field is read-only (a closed ticket), and no inline row may be
        added, changed or deleted."""
        if any(inline.has_add_permission or inline.has_change_permission
               or inline.has_delete_permission
               for inline in context.get("inline_admin_formsets", [])):
            return False
        if not self.has_change_permission(request, obj):
            return True
        return not [name for name in getattr(form, "fields", {}) if name != "_version"]

    def get_inline_instances(self, request, obj=None):
        """Rows of a versioned model edited inline carry and check their own token. On a
        document the user may not change, its rows are read-only too (a save would be
        refused: the page offers none)."""
        inlines = super().get_inline_instances(request, obj)
        for inline in inlines:
            if issubclass(inline.model, VersionedModel):
                self._check_inline_versions(inline)
        if inlines and obj is not None and not self.has_change_permission(request, obj):
            for inline in inlines:
                _view_only(inline)
        return inlines

    def _check_inline_versions(self, inline):
        inline.form = version_checked(inline.form, inline=True)
        own_fieldsets = inline.get_fieldsets

        def get_fieldsets(request, obj=None):
            # the token is drawn only in rows the user may change (elsewhere it would be
            # a read-only column); a hidden field of a tabular row gets no column
            fieldsets = [(name, {**options, "fields": [
                f for f in options.get("fields", ()) if f != "_version"]})
                for name, options in own_fieldsets(request, obj)]
            if (obj is not None and fieldsets and self.has_change_permission(request, obj)
                    and inline.has_change_permission(request, obj)):
                name, options = fieldsets[0]
                fieldsets[0] = (name, {**options, "fields": [*options["fields"], "_version"]})
            return fieldsets

        inline.get_fieldsets = get_fieldsets

    def save_model(self, request, obj, form, change):
        try:
            super().save_model(request, obj, form, change)
        except ConcurrentEdit as exc:
            # The version moved between the form check and the UPDATE: refuse, keep nothing.
            raise PermissionDenied(str(exc)) from exc

    # -- import ------------------------------------------------------------------------
    to_encoding = "utf-8-sig"  # CSV exports open correctly in Chinese Excel
    import_formats = [formats.CSV, formats.XLSX]
    export_formats = [base_formats.CSV, base_formats.XLSX]

    preview_rows = 200

    def import_action(self, request, **kwargs):
        """The preview lists every invalid row but only the first rows of a big valid file:
        the browser should not have to draw 100,000 table rows to offer "Confirm".

        "Import now" (``_import_now``) skips the preview: import-export's no-confirm path,
        which validates and writes in one pass and, like the preview, writes nothing and
        lists the errors when a row is wrong."""
        token = _import_now.set(request.method == "POST" and "_import_now" in request.POST)
        try:
            response = super().import_action(request, **kwargs)
        finally:
            _import_now.reset(token)
        result = getattr(response, "context_data", {}).get("result")
        if result is not None and len(result.rows) > self.preview_rows:
            total = len(result.rows)
            result.rows = result.rows[:self.preview_rows]
            messages.info(request, _("%(total)d rows checked; the first %(shown)d are shown "
                                     "below.") % {"total": total, "shown": self.preview_rows})
        context = getattr(response, "context_data", None)
        if context is not None:
            context["fields_list"] = self.labelled_fields_list(
                self.get_import_resource_classes(request), request, importing=True)
            context["import_templates"] = self.import_template_links(request)
        return response

    # -- the import template -------------------------------------------------------------
    def get_urls(self):
        from django.urls import path

        opts = self.model._meta
        return [path("import-template/", self.admin_site.admin_view(self.import_template_view),
                     name=f"{opts.app_label}_{opts.model_name}_import_template"),
                *super().get_urls()]

    def import_template_links(self, request) -> list[tuple[str, str]]:
        """(resource name, URL) of the import template of each import of this page."""
        if not self.has_import_permission(request):
            return []
        url = admin_url(self.model, "import_template")
        classes = self.get_import_resource_classes(request)
        return [(resource.get_display_name(), f"{url}?resource={index}" if index else url)
                for index, resource in enumerate(classes)]

    def import_template_view(self, request):
        """The .xlsx to fill in: the import's columns headed in the user's language, an
        example row, and the allowed values of the choice columns."""
        from django.http import Http404
        from django.utils.http import content_disposition_header

        from backoffice.platform import import_templates

        if not self.has_import_permission(request):
            raise PermissionDenied
        classes = self.get_import_resource_classes(request)
        try:
            resource_class = classes[int(request.GET.get("resource") or 0)]
        except (ValueError, IndexError):
            raise Http404 from None
        resource = resource_class(**self.get_import_resource_kwargs(request))
        response = HttpResponse(import_templates.workbook(resource, user=request.user),
                                content_type=import_templates.XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(
            True, import_templates.filename(self.model))
        return response

    def labelled_fields_list(self, resource_classes, request, importing=False):
        """The import and export pages' "the following fields" lists, by the columns'
        labels in the user's language (an import names only the columns it writes)."""
        listed = []
        for resource_class in resource_classes:
            resource = resource_class(**(self.get_import_resource_kwargs(request) if importing
                                         else self.get_export_resource_kwargs(request)))
            fields = (resource.get_import_fields() if importing
                      else resource.get_export_fields())
            labels = [resource.column_label(f) if hasattr(resource, "column_label")
                      else f.column_name for f in fields if not (importing and f.readonly)]
            listed.append((resource_class.get_display_name(), list(dict.fromkeys(labels))))
        return listed

    def init_request_context_data(self, request, form):
        context = super().init_request_context_data(request, form)
        context["fields_list"] = self.labelled_fields_list(
            self.get_export_resource_classes(request), request)
        return context

    #: a file with more rows than this is imported by a background job whichever button
    #: was pressed: the page shows a progress bar instead of a request that runs for minutes
    background_import_rows = 5_000

    def process_dataset(self, dataset, form, request, **kwargs):
        if dataset.height > self.background_import_rows:
            fmt = self.get_import_formats()[int(form.cleaned_data["format"])]
            upload = self._uploaded_file(form, fmt)
            if upload is not None:
                from backoffice.platform import jobs

                file_format = next(key for key, cls in jobs.file_formats().items()
                                   if issubclass(fmt, cls))
                # the job imports with the definition chosen on this page, not another one
                job = jobs.start_import(
                    user=request.user, model_label=self.model._meta.label, upload=upload,
                    file_format=file_format, language=get_language(),
                    resource_class=self.choose_import_resource_class(form, request))
                return HandedToJob(job, dataset.height)
        return super().process_dataset(dataset, form, request, **kwargs)

    def _uploaded_file(self, form, fmt):
        """The file being imported: the upload ("Import now") or the preview's copy."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        data = form.cleaned_data
        if data.get("import_file") is not None:
            upload = data["import_file"]
            upload.seek(0)
            return SimpleUploadedFile(upload.name, upload.read())
        if data.get("import_file_name"):
            storage = self.get_tmp_storage_class()(
                name=data["import_file_name"], encoding=None, read_mode=fmt().get_read_mode(),
                **self.get_tmp_storage_class_kwargs())
            content = storage.read()
            if isinstance(content, str):
                content = content.encode()
            return SimpleUploadedFile(data.get("original_file_name") or "import", content)
        return None

    def process_result(self, result, request):
        if isinstance(result, HandedToJob):
            messages.info(request, _("The file has %(rows)s rows: it is being imported in the "
                                     "background. This page shows the progress and, at the "
                                     "end, the result.") % {"rows": result.row_count})
            return redirect(admin_url(result.job, "change", result.job.pk))
        return super().process_result(result, request)

    # -- the confirm step: each preview is written at most once ---------------------------
    def process_import(self, request, **kwargs):
        """"Confirm import", once per preview.

        A double click, a second tab or a browser retry posts the same preview again. The
        first confirm records an ``ImportSubmission`` keyed by the preview's stored file in
        the import's own transaction; a later or simultaneous one finds the key taken (the
        database's unique key decides) and writes nothing. A confirm whose rows fail now
        (e.g. an opening balance another session booked since the preview) writes nothing
        either, records no submission, and says why instead of "Import finished"."""
        if request.method != "POST" or not self.has_import_permission(request):
            return super().process_import(request, **kwargs)  # 405 / 403 as import-export
        confirm_form = self.create_confirm_form(request)
        if not confirm_form.is_valid():
            return super().process_import(request, **kwargs)  # shows the form's errors
        name = confirm_form.cleaned_data["import_file_name"]
        key = name[:255]
        if ImportSubmission.objects.filter(key=key).exists():
            return self._already_imported(request)
        input_format = self.get_import_formats()[int(confirm_form.cleaned_data["format"])](
            encoding=self.from_encoding)
        storage = self.get_tmp_storage_class()(
            name=name, encoding=None if input_format.is_binary() else self.from_encoding,
            read_mode=input_format.get_read_mode(), **self.get_tmp_storage_class_kwargs())
        try:
            data = storage.read()
        except OSError:
            data = None
        if data is None:  # the confirm that won a double click has removed the stored file
            if ImportSubmission.objects.filter(key=key).exists():
                return self._already_imported(request)
            messages.error(request, _("The file of this preview is no longer there; upload "
                                      "it again."))
            return redirect(admin_url(self.model, "import"))
        dataset = input_format.create_dataset(data)
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        ImportSubmission.objects.create(key=key, owner=request.user,
                                                        model_label=self.model._meta.label)
                except IntegrityError:
                    raise _AlreadyImported from None
                result = self.process_dataset(dataset, confirm_form, request, **kwargs)
                failed = not isinstance(result, HandedToJob) and (
                    result.has_errors() or result.has_validation_errors())
                if failed:
                    transaction.set_rollback(True)  # the submission too: nothing was written
        except _AlreadyImported:
            return self._already_imported(request)
        try:
            storage.remove()
        except OSError:
            pass
        if failed:
            self._report_failed_confirm(result, request)
            return redirect(admin_url(self.model, "import"))
        return self.process_result(result, request)

    def _already_imported(self, request):
        messages.warning(request, _("This file has already been imported; nothing was "
                                    "written a second time."))
        return redirect(admin_url(self.model, "changelist"))

    @staticmethod
    def _report_failed_confirm(result, request, shown=5):
        """The import page's words: rows numbered as in the spreadsheet, columns by label."""
        problems = [(row.number, " ".join(
            [f"{label}: {' '.join(str(m) for m in messages_)}"
             for label, messages_ in getattr(row, "labelled_errors", [])]
            + [str(m) for m in row.non_field_specific_errors]))
            for row in result.invalid_rows]
        problems += [(number, " ".join(str(e.error) for e in errors))
                     for number, errors in result.row_errors()]
        problems += [(None, str(e.error)) for e in result.base_errors]
        text = "; ".join(
            _("row %(row)s: %(error)s") % {"row": number, "error": error} if number
            else error for number, error in sorted(problems, key=lambda p: p[0] or 0)[:shown])
        messages.error(request, _("Nothing was imported: %(problems)s") % {"problems": text})

    def is_skip_import_confirm_enabled(self):
        return _import_now.get() or super().is_skip_import_confirm_enabled()

    def add_data_read_fail_error_to_form(self, form, exc):
        """Say why a file was refused, in the user's language, instead of an exception name."""
        if isinstance(exc, UnreadableFile):
            form.add_error("import_file", str(exc))
        else:
            super().add_data_read_fail_error_to_form(form, exc)

    # -- import/export without a declared resource --------------------------------------
    def get_resource_classes(self, request=None):
        """Admins that declare no resource still export through the safe base (formula
        escaping, states read-only) and offer no import (see has_import_permission)."""
        if self.resource_classes:
            return super().get_resource_classes(request)
        from import_export.resources import modelresource_factory

        from backoffice.platform.resources import BackofficeResource

        return [modelresource_factory(self.model, resource_class=BackofficeResource)]

    def has_import_permission(self, request):
        return bool(self.resource_classes) and super().has_import_permission(request)

    # -- history -------------------------------------------------------------------------
    def _refuse_history_unless_visible(self, request, object_id):
        """A record's history shows what the record shows: only to whom its list shows it
        (the admin's get_queryset). simple-history looks the object up without it."""
        if self.get_object(request, unquote(object_id)) is None:
            raise PermissionDenied

    def history_view(self, request, object_id, extra_context=None):
        """Models without simple-history (immutable ledgers) show Django's own log."""
        self._refuse_history_unless_visible(request, object_id)
        if not hasattr(self.model, "history"):
            return ModelAdmin.history_view(self, request, object_id, extra_context)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """Reverting from history would bypass workflows and locks: view only."""
        self._refuse_history_unless_visible(request, object_id)
        if request.method == "POST":
            messages.error(request, _("Restoring an old version is disabled. Change the record "
                                      "or use its workflow buttons instead."))
            return redirect(admin_url(self.model, "change", object_id))
        return super().history_form_view(request, object_id, version_id, extra_context)


class _AlreadyImported(Exception):
    """The preview being confirmed was confirmed before (its submission key is taken)."""


class HandedToJob(Result):
    """What process_dataset returns when a background job took the file over."""

    def __init__(self, job, rows):
        super().__init__()
        self.job, self.row_count = job, rows


def _pickers_show_loaded_choices(form):
    """An autocomplete picker draws its chosen option from the record the page already
    read (``change_select_related``) instead of one query per picker; a value the form
    holds that is not the record's (a refused POST) is looked up as usual."""
    from django.contrib.admin.widgets import AutocompleteMixin

    for name, field in form.fields.items():
        widget = getattr(field.widget, "widget", field.widget)
        if not isinstance(widget, AutocompleteMixin):
            continue
        related = form.instance._state.fields_cache.get(name)
        if related is None:
            continue
        widget.optgroups = _known_optgroups(widget, related)


def _known_optgroups(widget, related):
    looked_up = widget.optgroups

    def optgroups(name, value, attr=None):
        chosen = {str(v) for v in value if str(v) not in widget.choices.field.empty_values}
        key = getattr(related, widget.field.remote_field.get_related_field().attname)
        if chosen != {str(key)}:
            return looked_up(name, value, attr)
        options = []
        if not widget.is_required and not widget.allow_multiple_selected:
            options.append(widget.create_option(name, "", "", False, 0))
        options.append(widget.create_option(
            name, key, widget.choices.field.label_from_instance(related), chosen,
            len(options)))
        return [(None, options, 0)]

    return optgroups


def _view_only(inline):
    """Make this request's instance of an inline show its rows read-only."""
    def refuse(request, obj=None):
        return False

    inline.has_add_permission = inline.has_change_permission = refuse
    inline.has_delete_permission = refuse
    inline.max_num = 0


def admin_url(model, view, *args):
    """The admin URL of ``view`` ("change", "changelist", "import" …) for a model or one
    of its records."""
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def admin_link(obj, text=None):
    """A link to ``obj``'s change page (empty when there is no object)."""
    if obj is None:
        return "-"
    return format_html('<a class="text-primary-600" href="{}">{}</a>',
                       admin_url(obj, "change", obj.pk), text or str(obj))


class ExportOnlyMixin:
    """Records born in the workflow or made by generators: export yes, import no."""

    def has_import_permission(self, request):
        return False


class ReadOnlyAdminMixin:
    """Records only services write (ledgers, logs, count sheets): viewable and exportable,
    never added, edited or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
