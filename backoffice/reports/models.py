"""The reports' permission holder (the report pages read the other domains' tables)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Report(models.Model):
    """No table: holds the ``view_report`` permission behind the report pages."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        verbose_name = _("weekly / monthly report")
        verbose_name_plural = _("weekly / monthly reports")

    def __str__(self):
        return str(self._meta.verbose_name)
