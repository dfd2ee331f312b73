"""Fund pool screens in the Wagtail admin, grouped under one menu.

Money rows (pledges, inflows, entries, accounts, commitments) are listed and inspected; new ones
are made only through forms that call the services, and nothing is ever edited or deleted.
Themes and funders are plain reference data and use Wagtail's generic views."""

from django.contrib import messages
from django.contrib.admin.utils import quote
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.views.generic import InspectView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from fundpool.donations import admin_views as donation_admin

from . import admin_views, system_reasons
from .models import (
    Account,
    Campaign,
    Commitment,
    Donation,
    Funder,
    ImportBatch,
    Inflow,
    JournalEntry,
    Pledge,
    StripeEvent,
    Theme,
)
from .money import format_amount


class ThemeViewSet(ModelViewSet):
    model = Theme
    icon = "tag"
    menu_label = _("Themes")
    form_fields = ["code", "name", "name_en"]
    list_display = ["name", "code", "name_en"]
    delete_view_class = admin_views.ProtectedDeleteView


class FunderViewSet(ModelViewSet):
    model = Funder
    icon = "group"
    menu_label = _("Funders")
    form_fields = ["name", "source_type", "contact_name", "contact_phone", "notes"]
    list_display = ["name", "source_type"]
    list_filter = ["source_type"]
    search_fields = ["name"]
    inspect_view_enabled = True
    inspect_view_class = admin_views.LocalInspectView
    delete_view_class = admin_views.ProtectedDeleteView


class LedgerViewSet(ModelViewSet):
    """List and inspect only; `service_add_view` (a form calling a service) replaces Wagtail's
    create view, and there is no edit, delete or copy view at all."""

    inspect_view_enabled = True
    inspect_view_class = admin_views.LocalInspectView
    copy_view_enabled = False
    service_add_view = None
    extra_views: list = []

    def register_reference_index(self):
        # Ledger rows are never "used" by pages; indexing each insert would only slow posting.
        pass

    @property
    def url_finder_class(self):
        """There is no edit page: links to a row (the site history's, for one) open its inspect
        page, for whoever may open that."""
        inspect_url_name = self.get_url_name("inspect")
        policy = self.permission_policy
        actions = InspectView.any_permission_required

        class InspectURLFinder(ModelAdminURLFinder):
            def get_edit_url(self, instance):
                if self.user and not policy.user_has_any_permission_for_instance(self.user, actions, instance):
                    return None
                return reverse(inspect_url_name, args=(quote(instance.pk),))

        return InspectURLFinder

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        view_kwargs.update(edit_url_name=None, delete_url_name=None, history_url_name=None, usage_url_name=None)
        if self.service_add_view is None:
            view_kwargs["add_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self):
        patterns = [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<int:pk>/", self.inspect_view, name="inspect"),
        ]
        if self.service_add_view is not None:
            patterns.append(path("new/", self.service_add_view.as_view(), name="add"))
        for route, view, name in self.extra_views:
            patterns.append(path(route, view.as_view(), name=name))
        return patterns


class PledgeViewSet(LedgerViewSet):
    model = Pledge
    icon = "calendar"
    menu_label = _("Pledges")
    list_display = [
        "funder",
        "amount",
        "received",
        "status",
        "pledged_on",
        Column("restriction_label", label=_("Restriction")),
    ]
    list_filter = ["status", "restriction_kind"]
    inspect_view_class = admin_views.PledgeInspectView
    service_add_view = admin_views.PledgeCreateView
    extra_views = [
        ("receive/<int:pk>/", admin_views.PledgeReceiveView, "receive"),
        ("cancel/<int:pk>/", admin_views.PledgeCancelView, "cancel"),
    ]


class InflowViewSet(LedgerViewSet):
    model = Inflow
    icon = "download"
    menu_label = _("Inflows")
    list_display = [
        "__str__",
        "source_type",
        "amount",
        "available",
        Column("restriction_label", label=_("Restriction")),
        Column("reversed", label=_("Reversed"), accessor=lambda inflow: gettext("Yes") if inflow.reversed else ""),
        "received_on",
    ]
    index_view_class = admin_views.InflowIndexView
    list_filter = ["source_type", "restriction_kind", "received_on"]
    inspect_view_class = admin_views.InflowInspectView
    inspect_view_fields_exclude = ["payer_name"]
    service_add_view = admin_views.InflowCreateView
    extra_views = [
        ("documents/add/<int:pk>/", admin_views.InflowDocumentAddView, "add_document"),
        ("documents/<int:pk>/", admin_views.InflowDocumentDownloadView, "document"),
        ("charge/<int:pk>/", admin_views.InflowChargeView, "charge"),
    ]


class EntryViewSet(LedgerViewSet):
    model = JournalEntry
    icon = "list-ul"
    menu_label = _("Ledger entries")
    list_display = ["__str__", "kind", "amount", "reference", "effective_at", "created_by"]
    list_filter = ["kind"]
    inspect_view_class = admin_views.EntryInspectView
    extra_views = [("reverse/<int:pk>/", admin_views.EntryReverseView, "reverse")]


class AccountViewSet(LedgerViewSet):
    model = Account
    icon = "table"
    menu_label = _("Accounts")
    list_display = ["code", "kind", "balance", "currency"]
    list_filter = ["kind"]
    search_fields = ["code"]


class CommitmentViewSet(LedgerViewSet):
    model = Commitment
    icon = "lock"
    menu_label = _("Commitments")
    list_display = [
        "reference",
        "theme",
        "call_ref",
        BooleanColumn("capacity_building", label=_("capacity building")),
        "created_at",
    ]
    search_fields = ["reference"]
    inspect_view_class = admin_views.CommitmentInspectView


class DonationViewSet(LedgerViewSet):
    model = Donation
    icon = "pick"
    menu_label = _("Donations")
    list_display = [
        "__str__",
        Column("amount_display", label=_("Amount"), accessor=lambda d: format_amount(d.amount, d.currency)),
        "channel",
        Column("designation", label=_("designation"), accessor=lambda d: system_reasons.display(d.designation_label)),
        "receipt_number",
        "created_at",
    ]
    list_filter = ["status", "channel", "campaign", "created_at"]
    search_fields = [
        "display_name",
        "email",
        "stripe_session_id",
        "import_ref",
        "receipt_number",
        "designation_label",
    ]
    inspect_view_class = donation_admin.DonationInspectView
    extra_views = [("receipt/<int:pk>/", donation_admin.ReceiptNumberView, "receipt")]


class StripeEventViewSet(LedgerViewSet):
    model = StripeEvent
    icon = "code"
    menu_label = _("Stripe events")
    list_display = [
        "event_id",
        "type",
        "status",
        "created",
        # Why an event was held or refused, in the reader's language; otherwise the processing note.
        Column("reason", label=_("Reason or note"), accessor=lambda event: event.reason or event.note),
    ]
    list_filter = ["status", "type"]
    search_fields = ["event_id", "payment_intent"]
    inspect_view_fields_exclude = ["reason_code", "reason_params"]
    inspect_template_name = "fundpool/admin/stripeevent_inspect.html"


class ImportBatchViewSet(LedgerViewSet):
    model = ImportBatch
    icon = "download"
    menu_label = _("Donation imports")
    list_display = ["__str__", "rows", "imported", "skipped", "rejected", "total", "created_at"]
    service_add_view = donation_admin.DonationImportView


class CampaignViewSet(ModelViewSet):
    model = Campaign
    icon = "pick"
    menu_label = _("Campaigns")
    form_fields = [
        "title",
        "slug",
        "description",
        "goal",
        "restriction_kind",
        "theme",
        "call_ref",
        "designation_label",
        "designation_ref",
        "match_pledge",
        "match_cap",
        "starts_on",
        "ends_on",
        "active",
    ]
    list_display = [
        "title",
        "goal",
        "starts_on",
        "ends_on",
        BooleanColumn("active", label=pgettext_lazy("campaign", "active")),
    ]
    delete_view_class = admin_views.ProtectedDeleteView


class FundPoolGroup(ModelViewSetGroup):
    menu_label = _("Fund pool")
    menu_icon = "doc-full-inverse"
    menu_order = 200
    items = (
        InflowViewSet("inflow"),
        PledgeViewSet("pledge"),
        FunderViewSet("funder"),
        ThemeViewSet("theme"),
        CommitmentViewSet("commitment"),
        EntryViewSet("journalentry"),
        # Not "account": Wagtail's own profile page lives at /admin/account/.
        AccountViewSet("ledger-account"),
        DonationViewSet("donation"),
        CampaignViewSet("campaign"),
        ImportBatchViewSet("importbatch"),
        StripeEventViewSet("stripeevent"),
    )


@hooks.register("register_admin_viewset")
def register_fundpool_viewsets():
    return FundPoolGroup()


@hooks.register("before_delete_user")
def keep_people_who_recorded_money(request, user):
    """The ledger names who recorded each entry, and the lifecycle log who took each step, for good:
    such accounts are deactivated, never deleted."""
    from django_fsm_log.models import StateLog

    if request.method == "POST" and StateLog.objects.filter(by=user).exists():
        messages.error(
            request,
            gettext(
                "%(user)s took steps recorded in the audit log and cannot be deleted; deactivate the account instead."
            )
            % {"user": user.get_username()},
        )
        return redirect("wagtailusers_users:edit", user.pk)
    if request.method == "POST" and JournalEntry.objects.filter(created_by=user).exists():
        messages.error(
            request,
            gettext("%(user)s recorded entries in the ledger and cannot be deleted; deactivate the account instead.")
            % {"user": user.get_username()},
        )
        return redirect("wagtailusers_users:edit", user.pk)
    return None


@hooks.register("register_admin_urls")
def register_statement_urls():
    from fundpool.admin_views import bank_statements
    from fundpool.donations.admin_views import receipts

    return [
        path("fundpool/statements/", bank_statements, name="fundpool_statements"),
        path("fundpool/receipts/", receipts, name="fundpool_receipts"),
    ]


@hooks.register("register_admin_menu_item")
def statements_menu_item():
    from core.admin import PermissionMenuItem

    return PermissionMenuItem(
        _("Bank reconciliation"),
        reverse("fundpool_statements"),
        icon_name="list-ul",
        order=220,
        perm="fundpool.reverse_journalentry",
    )


@hooks.register("register_admin_menu_item")
def receipts_menu_item():
    from core.admin import PermissionMenuItem

    return PermissionMenuItem(
        _("Official receipts"),
        reverse("fundpool_receipts"),
        icon_name="doc-full",
        order=221,
        perm="fundpool.record_receipt_number",
    )
