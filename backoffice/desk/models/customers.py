"""Customers and their contacts, products and versions, and what each customer runs."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.platform.models import (
    SearchableModel,
    SearchTokensQuerySet,
    TimeStampedModel,
    VersionedModel,
)


class Customer(SearchableModel, VersionedModel):
    #: a ticket search looks customers up by these first (desk.selectors.search_tickets)
    searched_texts = ("code", "name")

    code = models.CharField(_("customer code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    is_vip = models.BooleanField(_("VIP"), default=False, db_index=True)
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("service consultant"),
        help_text=_("VIP customers reach their consultant directly."))
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(excluded_fields=["search_tokens"])
    objects = SearchTokensQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Contact(TimeStampedModel):
    customer = models.ForeignKey(Customer, models.CASCADE, related_name="contacts",
                                 verbose_name=_("customer"))
    name = models.CharField(_("name"), max_length=100)
    position = models.CharField(_("position"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat / QQ"), max_length=100, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer", "-is_primary", "name"]

    def __str__(self):
        return f"{self.name} ({self.customer.name})" if self.customer_id else self.name


class Product(VersionedModel):
    code = models.CharField(_("product code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(excluded_fields=["search_tokens"])
    objects = SearchTokensQuerySet.as_manager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]

    def __str__(self):
        return self.name


class ProductVersion(TimeStampedModel):
    product = models.ForeignKey(Product, models.CASCADE, related_name="versions",
                                verbose_name=_("product"))
    version = models.CharField(_("version"), max_length=32)
    released_on = models.DateField(_("released on"), null=True, blank=True)
    end_of_support = models.DateField(_("end of support"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product version")
        verbose_name_plural = _("product versions")
        ordering = ["product", "-released_on", "-version"]
        constraints = [models.UniqueConstraint(fields=["product", "version"],
                                               name="uniq_product_version")]

    def __str__(self):
        return f"{self.product.name} {self.version}"


class InstalledProduct(TimeStampedModel):
    customer = models.ForeignKey(Customer, models.CASCADE, related_name="installations",
                                 verbose_name=_("customer"))
    product = models.ForeignKey(Product, models.PROTECT, related_name="installations",
                                verbose_name=_("product"))
    version = models.ForeignKey(ProductVersion, models.PROTECT, null=True, blank=True,
                                related_name="installations", verbose_name=_("version"))
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    licences = models.PositiveIntegerField(_("licences"), default=1)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("installed product")
        verbose_name_plural = _("installed products")
        constraints = [models.UniqueConstraint(fields=["customer", "product"],
                                               name="uniq_installed_product")]

    def __str__(self):
        return f"{self.customer} · {self.product} {self.version.version if self.version else ''}"
