"""Background import/export: the start form on every list, and the job pages."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.widgets import UnfoldAdminFileFieldWidget, UnfoldAdminSelectWidget

from backoffice.platform import jobs
from backoffice.platform.models import DataJob

FORMAT_CHOICES = [("xlsx", "Excel (.xlsx)"), ("csv", "CSV")]


class BackgroundImportForm(forms.Form):
    import_file = forms.FileField(label=_("File"), widget=UnfoldAdminFileFieldWidget)
    file_format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES,
                                    widget=UnfoldAdminSelectWidget)

    def clean_import_file(self):
        from backoffice.platform.forms import SafeImportForm

        return SafeImportForm.check_upload(self.cleaned_data["import_file"])


class BackgroundExportForm(forms.Form):
    file_format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES,
                                    widget=UnfoldAdminSelectWidget)


def background_import_view(model_admin, request):
    if not model_admin.has_import_permission(request):
        raise PermissionDenied
    form = BackgroundImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = jobs.start_import(user=request.user, model_label=model_admin.model._meta.label,
                                upload=form.cleaned_data["import_file"],
                                file_format=form.cleaned_data["file_format"],
                                language=get_language(),
                                resource_class=model_admin.get_import_resource_classes(
                                    request)[0])
        return redirect(reverse("admin:backoffice_datajob_change", args=[job.pk]))
    context = {**model_admin.admin_site.each_context(request),
               "title": _("Import %(name)s in the background")
               % {"name": model_admin.model._meta.verbose_name_plural},
               "intro": _("For large files: the import runs on the server while you work; the "
                          "job page shows its progress and, at the end, the rows created and "
                          "updated, or every invalid row (then nothing is written)."),
               "submit_label": _("Start import"), "form": form,
               "import_templates": model_admin.import_template_links(request),
               "opts": model_admin.model._meta}
    return render(request, "backoffice/job_start.html", context)


def background_export_view(model_admin, request):
    if not model_admin.has_export_permission(request):
        raise PermissionDenied
    form = BackgroundExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        job = jobs.start_export(user=request.user, model_label=model_admin.model._meta.label,
                                file_format=form.cleaned_data["file_format"],
                                language=get_language(),
                                resource_class=model_admin.get_export_resource_classes(
                                    request)[0])
        return redirect(reverse("admin:backoffice_datajob_change", args=[job.pk]))
    context = {**model_admin.admin_site.each_context(request),
               "title": _("Export all %(name)s in the background")
               % {"name": model_admin.model._meta.verbose_name_plural},
               "intro": _("The file is prepared on the server; download it from the job page."),
               "submit_label": _("Start export"), "form": form,
               "opts": model_admin.model._meta}
    return render(request, "backoffice/job_start.html", context)


@admin.register(DataJob)
class DataJobAdmin(ModelAdmin):
    list_display = ["__str__", "display_status", "original_name", "total_rows", "created_rows",
                    "updated_rows", "error_count", "created_at"]
    list_filter = ["kind", "status"]
    readonly_fields = ["kind", "model_label", "original_name", "display_progress", "message",
                       "total_rows", "created_rows", "updated_rows", "skipped_rows",
                       "error_count", "display_errors", "display_download", "started_at",
                       "finished_at", "heartbeat_at", "owner"]
    fields = readonly_fields

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("owner")
        return qs if request.user.is_superuser else qs.filter(owner=request.user)

    # a running job whose worker died is given up (and says so) where the user looks for it
    def changelist_view(self, request, extra_context=None):
        jobs.fail_dead_jobs()
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        jobs.fail_dead_jobs()
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.owner_id == request.user.pk
                            or request.user.is_superuser)

    def get_urls(self):
        return [path("<int:pk>/progress/", self.admin_site.admin_view(self.progress_view),
                     name="backoffice_datajob_progress"),
                path("<int:pk>/download/", self.admin_site.admin_view(self.download_view),
                     name="backoffice_datajob_download"),
                *super().get_urls()]

    def progress_view(self, request, pk):
        jobs.fail_dead_jobs()
        job = get_object_or_404(self.get_queryset(request), pk=pk)
        return HttpResponse(self._progress_html(job))

    def _progress_html(self, job, initial=False):
        return render_to_string("backoffice/job_progress.html", {
            "job": job, "progress": jobs.progress(job), "reload_done": initial,
            "progress_url": reverse("admin:backoffice_datajob_progress", args=[job.pk])})

    @display(description=_("status"), label={"done": "success", "rejected": "danger",
                                              "failed": "danger", "running": "info",
                                              "queued": "default"})
    def display_status(self, job):
        return job.status, job.get_status_display()

    @display(description=_("progress"))
    def display_progress(self, job):
        return self._progress_html(job, initial=job.finished)

    @display(description=_("invalid rows"))
    def display_errors(self, job):
        if not job.errors:
            return "-"
        rows = format_html_join("", "<tr><td class='pr-4'>{}</td><td class='pr-4'>{}</td>"
                                    "<td>{}</td></tr>",
                                ((e.get("row") or "", e.get("column") or "", e.get("message"))
                                 for e in job.errors))
        return format_html("<table class='text-sm'><tr><th class='pr-4 text-left'>{}</th>"
                           "<th class='pr-4 text-left'>{}</th><th class='text-left'>{}</th></tr>"
                           "{}</table>", _("Row"), _("Column"), _("Reason"), rows)

    @display(description=_("download"))
    def display_download(self, job):
        if not job.result_file:
            return "-"
        return format_html('<a class="text-primary-600" href="{}">{}</a>',
                           reverse("admin:backoffice_datajob_download", args=[job.pk]),
                           _("Download the file"))

    def download_view(self, request, pk):
        from django.http import FileResponse

        job = get_object_or_404(self.get_queryset(request), pk=pk)
        if not job.result_file:
            raise PermissionDenied
        return FileResponse(job.result_file.open("rb"), as_attachment=True,
                            filename=job.result_file.name.rsplit("/", 1)[-1])
