from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from fundpool.ledger.selectors import pool_summary


class CachedForVisitors:
    """Public pages served from the cache to anonymous visitors (see cms/cache.py)."""

    def serve(self, request, *args, **kwargs):
        from .cache import serve_cached

        return serve_cached(request, lambda: super(CachedForVisitors, self).serve(request, *args, **kwargs))


class HomePage(CachedForVisitors, Page):
    """The site's front page: the pool at a glance, open calls, latest outcomes, giving. Figures come
    live from the ledger."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        from django.utils.translation import get_language

        from fundpool.donations.selectors import campaigns_active
        from grants.applications.selectors import call_list_open

        from .cache import cached

        context = super().get_context(request, *args, **kwargs)
        context.update(
            cached(
                f"home:{get_language()}",
                lambda: {
                    "summary": pool_summary(),
                    "open_calls": list(call_list_open()[:5]),
                    "outcomes": list(
                        OutcomePage.objects.live()
                        .public()
                        .select_related("application__group")
                        .order_by("-first_published_at")[:6]
                    ),
                    "campaigns": list(campaigns_active()[:3]),
                },
                timeout=300,  # calls open and close with the clock, not only with the data
            )
        )
        return context


RICH_FEATURES = ["bold", "italic", "link", "ol", "ul"]


def clean_rich_text(html: str) -> str:
    """Rich text however it arrives (the editor, a script, the drafting code) is kept to the
    features we allow: no script, no event handlers, no javascript: links."""
    from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter

    return EditorHTMLConverter(features=RICH_FEATURES).to_database_format(html or "")


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(label=_("Heading"), max_length=120, template="cms/blocks/heading.html")
    paragraph = blocks.RichTextBlock(label=_("Paragraph"), features=RICH_FEATURES)
    quote = blocks.BlockQuoteBlock(label=_("Quote"))


class StandardPage(CachedForVisitors, Page):
    """About the fund, rules, contact: staff-written pages."""

    intro = models.CharField(_("introduction"), max_length=300, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    parent_page_types = ["cms.HomePage", "cms.StandardPage"]

    class Meta:
        verbose_name = _("standard page")


class OutcomeIndexPage(CachedForVisitors, Page):
    """The list of published project outcomes."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.OutcomePage"]
    max_count = 1

    class Meta:
        verbose_name = _("outcomes index")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["outcomes"] = (
            OutcomePage.objects.child_of(self).live().public().select_related("application__group__community")
        )
        return context


class OutcomePage(CachedForVisitors, Page):
    """What a completed project achieved. Drafted when its final report is accepted; staff edit and
    publish it (Wagtail moderation is for this content, never for the grant lifecycle). Money figures
    are read live from the ledger when the page is shown, never typed here."""

    application = models.OneToOneField(
        "grants.Application", verbose_name=_("project"), on_delete=models.PROTECT, related_name="outcome_page"
    )
    summary = RichTextField(_("summary"), features=RICH_FEATURES)
    body = StreamField(BodyBlock(), verbose_name=_("story"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("summary"), FieldPanel("body")]
    parent_page_types = ["cms.OutcomeIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("project outcome")

    def save(self, *args, **kwargs):
        self.summary = clean_rich_text(self.summary)
        return super().save(*args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from .cache import cached
        from .outcomes import outcome_context

        context = super().get_context(request, *args, **kwargs)
        from django.utils.translation import get_language

        context.update(
            cached(f"outcome:{get_language()}:{self.application_id}", lambda: outcome_context(self.application))
        )
        return context
