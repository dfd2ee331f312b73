"""Donations in the Wagtail admin: gifts (list, inspect, official receipt numbers), Stripe events,
campaigns, and importing platform or bank CSVs with a preview of every row before anything is written."""

from __future__ import annotations

import base64
import binascii

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fundpool.admin_views import LocalInspectView, ServiceFormView
from fundpool.donations import imports as donation_imports
from fundpool.donations import services as donation_services
from fundpool.donations.imports import MAX_BYTES
from fundpool.donations.services import DonationError
from fundpool.errors import FundpoolError
from fundpool.models import Donation, DonationChannel
from fundpool.money import format_amount


class ReceiptNumberForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Official receipt number (公益事业捐赠票据)"), max_length=60)


class ReceiptNumberView(ServiceFormView):
    form_class = ReceiptNumberForm
    permission_required = "fundpool.record_receipt_number"
    page_title = gettext_lazy("Record the official receipt number")
    submit_button_label = gettext_lazy("Record")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(Donation, pk=kwargs["pk"])

    def get_page_subtitle(self):
        return str(self.object)

    def get(self, request, *args, **kwargs):
        if self.object.status != "confirmed" or self.object.receipt_number:
            messages.error(
                request,
                _("A receipt number is recorded once, for a received gift; this one has %(number)s.")
                % {"number": self.object.receipt_number or "—"},
            )
            return redirect("donation:inspect", self.object.pk)
        return super().get(request, *args, **kwargs)

    def call_service(self, form):
        return donation_services.receipt_number_record(
            donation=self.object, number=form.cleaned_data["number"], actor=self.request.user
        )

    def success_message(self, donation):
        return _("Receipt number recorded.")

    def success_url_for(self, donation):
        return reverse("donation:inspect", args=(donation.pk,))


class ImportForm(forms.Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[
            (DonationChannel.PLATFORM, DonationChannel.PLATFORM.label),
            (DonationChannel.BANK, DonationChannel.BANK.label),
        ],
    )
    file = forms.FileField(label=gettext_lazy("CSV file"), required=False)
    data = forms.CharField(widget=forms.HiddenInput, required=False)
    filename = forms.CharField(widget=forms.HiddenInput, required=False)
    only_valid = forms.BooleanField(label=gettext_lazy("Import only the valid rows"), required=False)


class DonationImportView(View):
    """Step 1: upload and see every row checked. Step 2: import (all, or only the valid rows)."""

    template_name = "fundpool/admin/donation_import.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("fundpool.add_importbatch") or not request.user.has_perm("fundpool.add_inflow"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, self.template_name, {"form": ImportForm(), "preview": None})

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form, "preview": None}, status=400)
        upload = form.cleaned_data.get("file")
        if upload is not None:
            if upload.size > MAX_BYTES:
                form.add_error("file", _("The file is larger than 5 MB."))
                return render(request, self.template_name, {"form": form, "preview": None}, status=400)
            data, filename = upload.read(), upload.name
        else:
            try:
                data = base64.b64decode(form.cleaned_data.get("data") or "", validate=True)
            except (binascii.Error, ValueError):
                data = b""
            filename = form.cleaned_data.get("filename") or ""
        if not data:
            form.add_error("file", _("Choose a CSV file."))
            return render(request, self.template_name, {"form": form, "preview": None}, status=400)
        preview = donation_imports.import_preview(channel=form.cleaned_data["channel"], data=data)
        if request.POST.get("action") == "import":
            try:
                batch = donation_imports.donations_import(
                    preview=preview,
                    only_valid=form.cleaned_data["only_valid"],
                    filename=filename,
                    actor=request.user,
                )
            except FundpoolError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _("%(n)s gift(s) imported, %(total)s in all; %(skipped)s already imported; %(rejected)s rejected.")
                    % {
                        "n": batch.imported,
                        "total": format_amount(batch.total),
                        "skipped": batch.skipped,
                        "rejected": batch.rejected,
                    },
                )
                return redirect("importbatch:index")
        carried = ImportForm(
            initial={
                "channel": form.cleaned_data["channel"],
                "data": base64.b64encode(data).decode(),
                "filename": filename,
                "only_valid": form.cleaned_data["only_valid"],
            }
        )
        return render(request, self.template_name, {"form": carried, "preview": preview, "filename": filename})


class DonationInspectView(LocalInspectView):
    template_name = "fundpool/admin/donation_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_record"] = self.request.user.has_perm("fundpool.record_receipt_number")
        return context


def receipts(request):
    """Gifts awaiting an official receipt (公益事业捐赠票据): record the number and its check code,
    or that the donor declined one."""
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import render

    from fundpool.models import Donation

    if not request.user.has_perm("fundpool.record_receipt_number"):
        raise PermissionDenied
    if request.method == "POST":
        pk = request.POST.get("donation", "")
        donation = Donation.objects.filter(pk=pk if pk.isdecimal() else 0).first()
        if donation is None:
            messages.error(request, _("Choose a gift from the list."))
        else:
            try:
                if request.POST.get("declined"):
                    donation_services.receipt_declined_record(donation=donation, actor=request.user)
                    messages.success(request, _("Recorded: the donor declined an official receipt."))
                else:
                    donation_services.receipt_number_record(
                        donation=donation,
                        number=request.POST.get("number", ""),
                        check_code=request.POST.get("check_code", ""),
                        actor=request.user,
                    )
                    messages.success(request, _("Receipt number recorded."))
            except DonationError as exc:
                messages.error(request, str(exc))
        return redirect("fundpool_receipts")
    awaiting = donation_services.receipts_awaiting()
    return render(
        request,
        "fundpool/admin/receipts.html",
        {
            "awaiting": list(awaiting[:300]),
            "count": awaiting.count(),
            "declined": Donation.objects.filter(receipt_declined=True).count(),
        },
    )
