"""Reference data of the parts warehouse: categories, warehouses, suppliers, parts."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from backoffice.platform.models import JournalEntry, TimeStampedModel, VersionedModel
from inventory import workflows as wf
from inventory.workflows import SupplierStatus, WarehouseKind


class PartCategory(TimeStampedModel):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("part category")
        verbose_name_plural = _("part categories")
        ordering = ["code"]

    def __str__(self):
        return self.name


class WarehouseQuerySet(models.QuerySet):
    def scrap_area(self):
        """The scrap area approved scrap moves to (the first active one)."""
        return self.filter(kind=WarehouseKind.SCRAP, is_active=True).order_by("code").first()

    def default_for_requisitions(self):
        """The warehouse a new requisition asks first: the first active parts warehouse
        by code (no setting or per-engineer warehouse exists; the engineer may change it)."""
        return self.filter(kind=WarehouseKind.MAIN, is_active=True).order_by("code").first()


class Warehouse(VersionedModel):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=WarehouseKind.choices,
                            default=WarehouseKind.MAIN, db_index=True,
                            help_text=_("Scrapped parts are kept apart in a scrap area."))
    address = models.CharField(_("address"), max_length=300, blank=True)
    keeper = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("warehouse keeper"))
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])
    objects = WarehouseQuerySet.as_manager()

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["kind", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Supplier(ConcurrentTransitionMixin, VersionedModel):
    """A supplier of spare parts; only qualified suppliers get purchase orders."""

    code = models.CharField(_("supplier code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    state = FSMField(_("qualification"), max_length=16, choices=SupplierStatus.choices,
                     default=SupplierStatus.PENDING, protected=True, db_index=True)
    qualified_until = models.DateField(_("qualified until"), null=True, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    tax_id = models.CharField(_("unified social credit code"), max_length=32, blank=True)
    business_scope = models.TextField(_("business scope"), blank=True)
    evaluation = models.TextField(_("qualification evaluation"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["code"]
        permissions = [("qualify_supplier", _("Can qualify, suspend and disqualify suppliers"))]

    def __str__(self):
        return f"{self.code} {self.name}"

    def is_qualified(self, on_date=None):
        on_date = on_date or timezone.localdate()
        return (self.state == SupplierStatus.QUALIFIED and self.is_active
                and (self.qualified_until is None or self.qualified_until >= on_date))

    @transition(field=state, source=[SupplierStatus.PENDING, SupplierStatus.SUSPENDED,
                                     SupplierStatus.QUALIFIED],
                target=SupplierStatus.QUALIFIED, permission=wf.can_qualify_supplier,
                custom={"label": _("Qualify"), "icon": "verified", "variant": "success",
                        "form": "inventory.forms.QualifySupplierForm"})
    def qualify(self, qualified_until, evaluation=""):
        self.qualified_until = qualified_until
        if evaluation:
            self.evaluation = evaluation

    @transition(field=state, source=SupplierStatus.QUALIFIED, target=SupplierStatus.SUSPENDED,
                permission=wf.can_qualify_supplier,
                custom={"label": _("Suspend"), "icon": "pause_circle", "variant": "warning",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def suspend(self):
        pass

    @transition(field=state, source=[SupplierStatus.PENDING, SupplierStatus.QUALIFIED,
                                     SupplierStatus.SUSPENDED],
                target=SupplierStatus.DISQUALIFIED, permission=wf.can_qualify_supplier,
                custom={"label": _("Disqualify"), "icon": "block", "variant": "danger",
                        "form": "backoffice.platform.forms.NoteRequiredTransitionForm"})
    def disqualify(self):
        self.qualified_until = None

    @transition(field=state, source=SupplierStatus.DISQUALIFIED, target=SupplierStatus.PENDING,
                permission=wf.can_qualify_supplier,
                custom={"label": _("Re-apply for qualification"), "icon": "restart_alt"})
    def reapply(self):
        pass


class SupplierEvent(JournalEntry):
    supplier = models.ForeignKey(Supplier, models.CASCADE, related_name="events",
                                 verbose_name=_("supplier"))

    class Meta(JournalEntry.Meta):
        verbose_name = _("supplier journal entry")
        verbose_name_plural = _("supplier journal")


class SupplierContract(VersionedModel):
    """A purchase contract (采购合同) with a supplier: number, period and terms."""

    supplier = models.ForeignKey(Supplier, models.PROTECT, related_name="contracts",
                                 verbose_name=_("supplier"))
    number = models.CharField(_("contract number"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    payment_terms = models.CharField(_("payment terms"), max_length=200, blank=True)
    amount_cap = models.DecimalField(_("amount cap"), max_digits=12, decimal_places=2,
                                     null=True, blank=True,
                                     validators=[MinValueValidator(Decimal("0"))])
    terms = models.TextField(_("terms"), blank=True,
                             help_text=_("Delivery, warranty, quality and penalty clauses."))
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("purchase contract")
        verbose_name_plural = _("purchase contracts")
        ordering = ["-valid_to", "number"]
        constraints = [models.CheckConstraint(condition=models.Q(valid_to__gte=models.F("valid_from")),
                                              name="contract_period_ordered")]

    def __str__(self):
        return f"{self.number} {self.title}"

    def is_valid_on(self, day):
        return self.valid_from <= day <= self.valid_to


class Part(VersionedModel):
    """A spare part (配件). Its on-hand quantities live in the ledger, never here."""

    code = models.CharField(_("part code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    specification = models.CharField(_("specification"), max_length=200, blank=True)
    model_number = models.CharField(_("model"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=16, default="个")
    category = models.ForeignKey(PartCategory, models.PROTECT, null=True, blank=True,
                                 related_name="parts", verbose_name=_("category"))
    unit_cost = models.DecimalField(_("unit cost"), max_digits=12, decimal_places=2,
                                    default=Decimal("0.00"),
                                    validators=[MinValueValidator(Decimal("0"))])
    safety_stock = models.PositiveIntegerField(
        _("safety stock"), default=0,
        help_text=_("Below this, a waiting repair makes the purchase urgent."))
    reorder_point = models.PositiveIntegerField(
        _("reorder point"), default=0,
        help_text=_("When the on-hand quantity falls below this, the part is proposed "
                    "for purchase."))
    reorder_quantity = models.PositiveIntegerField(
        _("reorder quantity"), default=0, help_text=_("Usual quantity per purchase."))
    preferred_supplier = models.ForeignKey(Supplier, models.SET_NULL, null=True, blank=True,
                                           related_name="preferred_for",
                                           verbose_name=_("preferred supplier"))
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"
