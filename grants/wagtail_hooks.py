"""Grants in the Wagtail admin: calls (with rubric and tranche plan), priority problems, places,
resident groups and their filing, applications per call, and the lifecycle diagram."""

from django import forms
from django.conf import settings
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.admin_url_finder import register_admin_url_finder
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import BooleanColumn, TitleColumn
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from core.admin import LocalInspectView, PermissionMenuItem

from . import admin_urls
from .models import (
    Application,
    Call,
    Community,
    Expense,
    Feedback,
    Objection,
    PriorityProblem,
    ProjectReport,
    Recovery,
    ResidentGroup,
    SubDistrict,
    Track,
)
from .overview import queue


class CallAdminForm(WagtailAdminModelForm):
    """Rubric weights and tranche shares must each sum to 100."""

    tracks = forms.MultipleChoiceField(
        label=_("tracks"),
        choices=Track.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Which groups may apply: filed, registered or both."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        notice = self.fields.get("notice_days")
        if notice is not None:
            # The rule itself is Call.clean's; this tells staff before they submit.
            notice.widget.attrs["min"] = settings.NOTICE_MIN_DAYS
            notice.help_text = _("At least %(days)s days.") % {"days": settings.NOTICE_MIN_DAYS}

    def clean(self):
        cleaned = super().clean()
        for name, field, message in (
            ("criteria", "weight", _("The rubric's weights must add up to 100 (now %(total)s).")),
            ("tranches", "share", _("The tranche shares must add up to 100%% (now %(total)s).")),
        ):
            formset = self.formsets.get(name)
            if formset is None or not formset.is_valid():
                continue  # the formset shows its own errors
            total = sum(
                (f.cleaned_data.get(field) or 0)
                for f in formset.forms
                if getattr(f, "cleaned_data", None) and not f.cleaned_data.get("DELETE")
            )
            if total != 100:
                self.add_error(None, message % {"total": total})
        return cleaned


class CallInspectView(LocalInspectView):
    def get_tracks_display_value(self):
        labels = dict(Track.choices)
        return "、".join(str(labels.get(t, t)) for t in self.object.tracks) or "—"


class CallViewSet(ModelViewSet):
    model = Call
    icon = "list-ul"
    menu_label = _("Calls")
    list_display = ["title", "opens_at", "closes_at", "budget", BooleanColumn("published", label=_("published"))]
    list_filter = ["published"]
    search_fields = ["title"]
    inspect_view_enabled = True
    inspect_view_class = CallInspectView
    panels = [
        MultiFieldPanel(
            [FieldPanel("title"), FieldPanel("slug"), FieldPanel("description"), FieldPanel("published")],
            heading=_("Call"),
        ),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]), FieldPanel("notice_days")],
            heading=_("Dates"),
        ),
        MultiFieldPanel(
            [FieldPanel("budget"), FieldRowPanel([FieldPanel("min_amount"), FieldPanel("max_amount")])],
            heading=_("Money"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("problems"),
                FieldPanel("communities"),
                FieldPanel("tracks"),
                FieldPanel("allow_multiple_applications"),
            ],
            heading=_("Priority problems and eligibility"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("reviewers_per_application"),
                FieldPanel("review_days"),
                FieldPanel("blind_review"),
                FieldPanel("notice_names_reviewers"),
            ],
            heading=_("Review"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("spending_tolerance"),
                FieldPanel("inactivity_days"),
                FieldRowPanel([FieldPanel("midterm_report_days"), FieldPanel("final_report_days")]),
            ],
            heading=_("Delivery"),
        ),
        InlinePanel("criteria", heading=_("Rubric (weights add up to 100)"), min_num=1),
        InlinePanel("tranches", heading=_("Tranche plan (shares add up to 100%)"), min_num=1),
        InlinePanel("checks", heading=_("Eligibility items checked by hand at screening")),
    ]

    def get_form_class(self, for_update=False):
        form_class = super().get_form_class(for_update)
        return type("CallForm", (CallAdminForm, form_class), {})


class PriorityProblemViewSet(ModelViewSet):
    model = PriorityProblem
    icon = "warning"
    menu_label = _("Priority problems")
    form_fields = ["title", "description", "theme", "community", "survey_year", "rank"]
    list_display = ["title", "theme", "community", "survey_year", "rank"]
    list_filter = ["survey_year", "theme"]


class SubDistrictViewSet(ModelViewSet):
    model = SubDistrict
    icon = "site"
    menu_label = _("Sub-districts")
    form_fields = ["name", "city", "district"]


class CommunityViewSet(ModelViewSet):
    model = Community
    icon = "home"
    menu_label = _("Communities")
    form_fields = ["sub_district", "name", "code"]
    list_display = ["name", "code", "sub_district"]


class ResidentGroupViewSet(ModelViewSet):
    """Staff may correct a group's details; filing (备案) has its own page and service."""

    model = ResidentGroup
    icon = "group"
    menu_label = _("Resident groups")
    form_fields = [
        "name",
        "group_type",
        "community",
        "leader_name",
        "leader_phone",
        "member_count",
        "member_list",
        "introduction",
        "credit_code",
    ]
    list_display = [
        "name",
        "group_type",
        "community",
        "filing_status",
        TitleColumn(
            "filing",
            label=_("Filing"),
            accessor=lambda g: _("File or return"),
            get_url=lambda g: reverse("grants_admin:group_filing", args=[g.pk]),
        ),
    ]
    list_filter = ["filing_status", "group_type", "community"]
    search_fields = ["name", "leader_name"]
    inspect_view_enabled = True
    inspect_view_class = LocalInspectView
    inspect_view_fields_exclude = ["charter"]


class GrantsGroup(ModelViewSetGroup):
    menu_label = _("Grants")
    menu_icon = "folder-open-inverse"
    menu_order = 150
    items = (
        CallViewSet("call"),
        ResidentGroupViewSet("residentgroup"),
        PriorityProblemViewSet("priorityproblem"),
        CommunityViewSet("community"),
        SubDistrictViewSet("subdistrict"),
    )


@hooks.register("register_admin_viewset")
def register_grants_viewsets():
    return GrantsGroup()


@hooks.register("register_admin_urls")
def register_grants_admin_urls():
    return [path("grants/", include((admin_urls.urlpatterns, "grants_admin"), namespace="grants_admin"))]


@hooks.register("register_admin_menu_item")
def applications_menu_item():
    return PermissionMenuItem(
        _("Applications"),
        reverse("grants_admin:calls"),
        icon_name="doc-full",
        order=140,
        perm="grants.view_application",
    )


class WorkQueuePanel(Component):
    """The staff home: the work queue first, above Wagtail's own panels."""

    order = 10
    template_name = "grants/admin/queue_panel.html"

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context):
        return {"lines": queue.queue_for(user=self.user)}


@hooks.register("construct_homepage_panels")
def work_queue_panel(request, panels):
    if queue.lines_for(request.user):
        panels.insert(0, WorkQueuePanel(request.user))


@hooks.register("register_admin_menu_item")
def work_queue_menu_item():
    return PermissionMenuItem(
        _("Work queue"), reverse("grants_admin:queue"), icon_name="tasks", order=130, perm="grants.view_application"
    )


@hooks.register("register_admin_menu_item")
def search_menu_item():
    return PermissionMenuItem(
        _("Find applications and groups"),
        reverse("grants_admin:search"),
        icon_name="search",
        order=135,
        perm="grants.view_application",
    )


@hooks.register("register_admin_menu_item")
def lifecycle_menu_item():
    return PermissionMenuItem(
        _("Lifecycle"), reverse("grants_admin:lifecycle"), icon_name="cogs", order=160, perm="grants.view_application"
    )


@hooks.register("register_admin_menu_item")
def delivery_menu_item():
    return PermissionMenuItem(
        _("Delivery warnings"),
        reverse("grants_admin:warnings"),
        icon_name="warning",
        order=145,
        perm="grants.view_application",
    )


class ApplicationPageURLFinder:
    """Applications, and the decisions on their objections, expenses, reports and feedback, are
    read and taken on the application's staff page: admin links (the site history's) go there."""

    def __init__(self, user=None):
        self.user = user

    def get_edit_url(self, instance):
        if self.user and not self.user.has_perm("grants.view_application"):
            return None
        application_id = instance.pk if isinstance(instance, Application) else instance.application_id
        return reverse("grants_admin:application", args=[application_id])


for _model in (Application, Objection, Expense, ProjectReport, Feedback, Recovery):
    register_admin_url_finder(_model, ApplicationPageURLFinder)


@hooks.register("register_log_actions")
def describe_lifecycle_in_the_audit_log(actions):
    """Steps and states in the history report read as staff see them elsewhere."""
    from core import audit

    from . import lifecycle
    from .models import ExpenseStatus, FeedbackStatus, ObjectionStatus, ReportKind

    outcomes = {**dict(ExpenseStatus.choices), **dict(ObjectionStatus.choices), **dict(FeedbackStatus.choices)}
    audit.display("outcome", lambda v: str(outcomes.get(v, v)))
    audit.display("report", lambda v: str(dict(ReportKind.choices).get(v, v)))
    audit.display("step", lambda v: str(lifecycle.STEPS[v].label) if v in lifecycle.STEPS else v)
    for key in ("before", "after"):
        audit.display(key, lambda v: str(lifecycle.STATE[v].staff_label) if v in lifecycle.STATE else v)
