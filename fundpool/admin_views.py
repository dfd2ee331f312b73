"""Wagtail admin screens for money. They never save a money row themselves: each form calls one
service, and a refusal comes back as a form error in the staff member's language."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, ProtectedError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, View
from wagtail.admin.views.generic import DeleteView, IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.admin import LocalInspectView
from core.uploads import private_file_response
from fundpool.ledger import selectors as ledger_selectors
from fundpool.ledger import services as ledger_services

from .errors import FundpoolError
from .forms import DocumentForm, InflowForm, PledgeForm, PledgeReceiveForm, ReasonForm, RefundForm
from .models import Inflow, InflowDocument, JournalEntry, Pledge


class ProtectedDeleteView(DeleteView):
    """Reference data that money points at (a funder, a theme) stays; say so instead of failing."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ProtectedError:
            messages.error(
                self.request,
                _("%(object)s cannot be deleted: money in the ledger refers to it.") % {"object": self.object},
            )
            return redirect(self.get_success_url())


class ServiceFormView(WagtailAdminTemplateMixin, FormView):
    """A staff form whose valid input goes to one service."""

    template_name = "fundpool/admin/service_form.html"
    permission_required = ""
    header_icon = "form"
    submit_button_label = _("Save")
    object = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.permission_required):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["action_url"] = self.request.get_full_path()
        context["submit_button_label"] = self.submit_button_label
        context["submit_button_active_label"] = self.submit_button_label
        return context

    def form_valid(self, form):
        try:
            result = self.call_service(form)
        except FundpoolError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, self.success_message(result))
        return redirect(self.success_url_for(result))

    def call_service(self, form):  # pragma: no cover - each view defines it
        raise NotImplementedError


def _inspect_url(model, pk):
    return reverse(f"{model._meta.model_name}:inspect", args=(pk,))


class InflowCreateView(ServiceFormView):
    form_class = InflowForm
    permission_required = "fundpool.add_inflow"
    page_title = _("Record money received")
    submit_button_label = _("Record inflow")

    def call_service(self, form):
        c = form.cleaned_data
        inflow = ledger_services.inflow_record(
            source_type=c["source_type"],
            funder=c.get("funder"),
            amount=c["amount"],
            currency=c["currency"],
            fee=c.get("fee") or None,
            received_on=c["received_on"],
            restriction=form.restriction(),
            external_ref=c.get("external_ref"),
            description=c.get("description", ""),
            actor=self.request.user,
        )
        if c.get("document"):
            ledger_services.inflow_attach_document(
                inflow=inflow,
                title=c.get("document_title") or c["document"].name,
                file=c["document"],
                actor=self.request.user,
            )
        return inflow

    def form_valid(self, form):
        # A refused document must not leave the inflow half-recorded: one transaction for both.
        from django.db import transaction

        try:
            with transaction.atomic():
                result = self.call_service(form)
        except FundpoolError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, self.success_message(result))
        return redirect(self.success_url_for(result))

    def success_message(self, inflow):
        return _("Recorded %(amount)s %(currency)s received.") % {"amount": inflow.amount, "currency": inflow.currency}

    def success_url_for(self, inflow):
        return _inspect_url(Inflow, inflow.pk)


class PledgeCreateView(ServiceFormView):
    form_class = PledgeForm
    permission_required = "fundpool.add_pledge"
    page_title = _("Record a pledge")
    submit_button_label = _("Record pledge")

    def call_service(self, form):
        c = form.cleaned_data
        return ledger_services.pledge_record(
            funder=c["funder"],
            amount=c["amount"],
            currency=c["currency"],
            pledged_on=c["pledged_on"],
            expected_by=c.get("expected_by"),
            restriction=form.restriction(),
            description=c.get("description", ""),
            actor=self.request.user,
        )

    def success_message(self, pledge):
        return _("Pledge recorded. It reaches the pool only when money is received.")

    def success_url_for(self, pledge):
        return _inspect_url(Pledge, pledge.pk)


class PledgeReceiveView(ServiceFormView):
    form_class = PledgeReceiveForm
    permission_required = "fundpool.add_inflow"
    page_title = _("Receive money on a pledge")
    submit_button_label = _("Record receipt")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(Pledge.objects.select_related("funder"), pk=kwargs["pk"])

    def get_page_subtitle(self):
        return str(self.object)

    def get_initial(self):
        return {"amount": self.object.outstanding}

    def call_service(self, form):
        c = form.cleaned_data
        return ledger_services.pledge_receive(
            pledge=self.object,
            amount=c["amount"],
            received_on=c["received_on"],
            external_ref=c.get("external_ref"),
            description=c.get("description", ""),
            actor=self.request.user,
        )

    def success_message(self, inflow):
        return _("Recorded %(amount)s received on the pledge.") % {"amount": inflow.amount}

    def success_url_for(self, inflow):
        return _inspect_url(Pledge, self.object.pk)


class PledgeCancelView(ServiceFormView):
    form_class = ReasonForm
    permission_required = "fundpool.change_pledge"
    page_title = _("Cancel the rest of a pledge")
    submit_button_label = _("Cancel pledge")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(Pledge, pk=kwargs["pk"])

    def call_service(self, form):
        return ledger_services.pledge_cancel(
            pledge=self.object, reason=form.cleaned_data["reason"], actor=self.request.user
        )

    def success_message(self, pledge):
        return _("Pledge cancelled.")

    def success_url_for(self, pledge):
        return _inspect_url(Pledge, pledge.pk)


class EntryReverseView(ServiceFormView):
    form_class = ReasonForm
    permission_required = "fundpool.reverse_journalentry"
    page_title = _("Reverse an entry")
    submit_button_label = _("Post reversing entry")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(JournalEntry, pk=kwargs["pk"])

    def get_page_subtitle(self):
        return str(self.object)

    def call_service(self, form):
        return ledger_services.entry_reverse(
            entry=self.object, reason=form.cleaned_data["reason"], actor=self.request.user
        )

    def success_message(self, reversal):
        return _("Entry #%(entry)s reversed by entry #%(reversal)s.") % {
            "entry": self.object.pk,
            "reversal": reversal.pk,
        }

    def success_url_for(self, reversal):
        return _inspect_url(JournalEntry, reversal.pk)


class InflowDocumentAddView(ServiceFormView):
    form_class = DocumentForm
    permission_required = "fundpool.add_inflow"
    page_title = _("Attach a reference document")
    submit_button_label = _("Upload")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(Inflow, pk=kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form_is_multipart"] = True
        return context

    def call_service(self, form):
        return ledger_services.inflow_attach_document(
            inflow=self.object,
            title=form.cleaned_data["title"],
            file=form.cleaned_data["file"],
            actor=self.request.user,
        )

    def success_message(self, document):
        return _("Document attached.")

    def success_url_for(self, document):
        return _inspect_url(Inflow, self.object.pk)


class InflowChargeView(ServiceFormView):
    """A refund, chargeback or fee against one inflow. Money already committed to grants stays
    with them; the pool books what it owes as a shortfall."""

    form_class = RefundForm
    permission_required = "fundpool.reverse_journalentry"
    page_title = _("Record a refund, chargeback or fee")
    submit_button_label = _("Record")
    services_by_kind = {
        "refund": ledger_services.refund_record,
        "chargeback": ledger_services.chargeback_record,
        "fee": ledger_services.fee_record,
    }

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(Inflow, pk=kwargs["pk"])

    def get_page_subtitle(self):
        return str(self.object)

    def call_service(self, form):
        c = form.cleaned_data
        return self.services_by_kind[c["kind"]](
            inflow=self.object,
            amount=c["amount"],
            external_ref=c.get("external_ref"),
            description=c.get("description", ""),
            actor=self.request.user,
        )

    def success_message(self, entry):
        return _("Recorded: %(entry)s.") % {"entry": entry}

    def success_url_for(self, entry):
        return _inspect_url(Inflow, self.object.pk)


class InflowDocumentDownloadView(View):
    """Reference documents are private: only staff who may view inflows get them."""

    def get(self, request, pk):
        if not request.user.has_perm("fundpool.view_inflow"):
            raise PermissionDenied
        document = get_object_or_404(InflowDocument, pk=pk)
        return private_file_response(document.file, content_type=document.content_type, label=document.title)


class InflowIndexView(IndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .annotate(reversed=Exists(JournalEntry.objects.filter(reversal_of_id=OuterRef("entry_id"))))
            .select_related("funder")
        )


class InflowInspectView(LocalInspectView):
    template_name = "fundpool/admin/inflow_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["usage"] = ledger_selectors.inflow_usage(inflow=self.object)
        context["reversed_by"] = JournalEntry.objects.filter(reversal_of_id=self.object.entry_id).first()
        context["documents"] = self.object.documents.all()
        context["may_add"] = self.request.user.has_perm("fundpool.add_inflow")
        context["may_charge"] = (
            self.request.user.has_perm("fundpool.reverse_journalentry") and not context["reversed_by"]
        )
        return context


class PledgeInspectView(LocalInspectView):
    template_name = "fundpool/admin/pledge_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["inflows"] = self.object.inflows.select_related("entry").order_by("received_on", "pk")
        context["may_receive"] = self.request.user.has_perm("fundpool.add_inflow")
        context["may_cancel"] = self.request.user.has_perm("fundpool.change_pledge")
        return context


class EntryInspectView(LocalInspectView):
    template_name = "fundpool/admin/entry_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["postings"] = self.object.postings.select_related("account").order_by("pk")
        context["movements"] = self.object.lot_movements.select_related("commitment").order_by("pk")
        context["reversed_by"] = JournalEntry.objects.filter(reversal_of=self.object).first()
        context["may_reverse"] = self.request.user.has_perm("fundpool.reverse_journalentry")
        return context


class CommitmentInspectView(LocalInspectView):
    template_name = "fundpool/admin/commitment_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["balances"] = ledger_selectors.commitment_balances(reference=self.object.reference)
        context["trace"] = ledger_selectors.funding_trace(reference=self.object.reference)
        return context


def bank_statements(request):
    """Reconciliation (对账): upload the bank statement; see what is unmatched on both sides."""
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import render

    from fundpool.ledger import statements

    if not request.user.has_perm("fundpool.reverse_journalentry"):
        raise PermissionDenied
    if request.method == "POST":
        upload = request.FILES.get("statement")
        if upload is None:
            messages.error(request, _("Choose the statement file (CSV)."))
        elif upload.size > statements.MAX_BYTES:
            messages.error(request, _("The file is larger than 5 MB."))
        else:
            result = statements.statement_import(data=upload.read(), filename=upload.name, actor=request.user)
            if result.problems:
                for problem in result.problems[:20]:
                    messages.error(request, problem)
            else:
                messages.success(
                    request,
                    _("%(i)s line(s) imported, %(s)s already imported, %(m)s matched.")
                    % {"i": result.imported, "s": result.skipped, "m": result.matched},
                )
        return redirect("fundpool_statements")
    lines, entries = statements.unmatched()
    return render(
        request,
        "fundpool/admin/statements.html",
        {
            "lines": list(lines[:200]),
            "entries": list(entries[:200]),
            "line_count": lines.count(),
            "entry_count": entries.count(),
        },
    )
