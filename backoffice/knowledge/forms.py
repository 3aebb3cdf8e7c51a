"""Dialog forms of the knowledge actions on the ticket page."""

from django import forms
from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _
from unfold.forms import BaseDialogForm
from unfold.widgets import (
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from backoffice.desk.models import Ticket
from backoffice.knowledge.models import Article
from backoffice.knowledge.selectors import suggested_articles


class _TicketDialogForm(BaseDialogForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = Ticket.objects.filter(pk=self.object_id).first()


class CreateArticleForm(_TicketDialogForm):
    """Start a draft article from a resolved ticket's service record."""

    title = forms.CharField(label=_("Title"), max_length=200, widget=UnfoldAdminTextInputWidget)
    keywords = forms.CharField(label=_("Keywords"), max_length=300, required=False,
                               widget=UnfoldAdminTextInputWidget,
                               help_text=_("Words a colleague would search for."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.ticket is not None:
            self.fields["title"].initial = self.ticket.subject


class ArticleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, article):
        return f"{article.number} {article.title}"


class ResolveWithArticleForm(_TicketDialogForm):
    """Resolve the ticket with a published article: a suggestion or any article number."""

    article = ArticleChoiceField(queryset=Article.objects.none(), required=False,
                                 label=_("Suggested article"), widget=UnfoldAdminSelectWidget)
    number = forms.CharField(label=_("…or article number"), required=False, max_length=32,
                             widget=UnfoldAdminTextInputWidget,
                             help_text=_("E.g. KB202611-00012, found with the knowledge "
                                         "base search."))
    note = forms.CharField(label=_("Comment"), required=False,
                           widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.ticket is not None:
            pks = [a.pk for a in suggested_articles(self.ticket, limit=20)]
            if pks:  # in the order of relevance
                rank = Case(*[When(pk=pk, then=Value(i)) for i, pk in enumerate(pks)],
                            output_field=IntegerField())
                self.fields["article"].queryset = (Article.objects.published()
                                                   .filter(pk__in=pks).order_by(rank))

    def clean(self):
        cleaned = super().clean()
        number = (cleaned.get("number") or "").strip().upper()
        if number:
            article = Article.objects.published().filter(number=number).first()
            if article is None:
                self.add_error("number", _("No published article has this number."))
            cleaned["article"] = article
        elif not cleaned.get("article"):
            self.add_error("article", _("Choose an article or type its number."))
        return cleaned
