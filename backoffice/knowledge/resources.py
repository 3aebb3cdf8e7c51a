"""Import/export of the knowledge base: articles arrive as drafts (a spreadsheet never
publishes, and published articles change only through revision)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields

from backoffice.desk.models import Product
from backoffice.desk.workflows import Category
from backoffice.knowledge.models import Article
from backoffice.knowledge.workflows import ArticleStatus
from backoffice.platform.resources import BackofficeResource, ChoiceWidget, LookupWidget, user_field


class ArticleResource(BackofficeResource):
    never_import = (*BackofficeResource.never_import, "author", "reviewed_at")
    column_labels = {"tickets_resolved": gettext_lazy("tickets resolved")}
    template_example = {"title": "凭证打印错位", "keywords": "打印;凭证",
                        "problem": "打印凭证时金额列错位", "cause": "打印驱动版本过旧",
                        "solution": "升级打印驱动，重新设置页边距后再打印。"}

    category = fields.Field(attribute="category", column_name="category",
                            widget=ChoiceWidget(Category))
    product = fields.Field(attribute="product", column_name="product",
                           widget=LookupWidget(Product, field="code"))
    author = user_field("author", readonly=True)
    tickets_resolved = fields.Field(column_name="tickets_resolved", readonly=True)

    class Meta:
        model = Article
        fields = ("number", "title", "category", "product", "keywords", "problem", "cause",
                  "solution", "state", "author", "reviewed_at", "tickets_resolved")
        export_order = fields
        import_id_fields = ("number",)

    def dehydrate_tickets_resolved(self, article):
        count = getattr(article, "use_count", None)
        return article.uses.count() if count is None else count

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.pk and instance.state != ArticleStatus.DRAFT:
            errors["number"] = _("Only draft articles can be changed by an import; revise a "
                                 "published article first.")
        super().validate_instance(instance, errors, validate_unique)

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk is None:
            instance.author = getattr(self, "_import_user", None)
