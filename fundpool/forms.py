"""Staff forms for recording money. They read and check input; the services decide and write."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundpool.ledger.engine import Restriction

from .errors import FundpoolError
from .models import Funder, RestrictionKind, SourceType, Theme
from .money import check_currency, parse_amount, pool_currency


def date_widget():
    # <input type=date> takes ISO dates only, whatever the page's language.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AmountField(forms.CharField):
    """A money amount typed by a person: exact decimals only, the pool's rules, clear messages."""

    def __init__(self, *, required=True, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(required=required, **kwargs)


class MoneyFormMixin:
    """Parses AmountFields against the currency field (or the pool's currency)."""

    amount_fields: tuple[str, ...] = ("amount",)

    def clean(self):
        cleaned = super().clean()
        currency = cleaned.get("currency") or pool_currency()
        try:
            currency = check_currency(currency)
        except FundpoolError as exc:
            self.add_error("currency" if "currency" in self.fields else None, str(exc))
            return cleaned
        cleaned["currency"] = currency
        for name in self.amount_fields:
            raw = cleaned.get(name)
            if raw in (None, ""):
                continue
            try:
                cleaned[name] = parse_amount(raw, currency)
            except FundpoolError as exc:
                self.add_error(name, str(exc))
        return cleaned


class RestrictionFormMixin:
    def add_restriction_fields(self):
        self.fields["restriction_kind"] = forms.ChoiceField(
            label=_("Restriction"), choices=RestrictionKind.choices, initial=RestrictionKind.UNRESTRICTED
        )
        self.fields["theme"] = forms.ModelChoiceField(
            label=_("Theme"),
            queryset=Theme.objects.order_by("code"),
            required=False,
            help_text=_("Only for money restricted to a theme."),
        )
        self.fields["call_ref"] = forms.CharField(
            label=_("Call reference"),
            max_length=64,
            required=False,
            help_text=_("Only for money restricted to one call."),
        )
        self.fields["expires_on"] = forms.DateField(
            label=_("Expires on"),
            required=False,
            widget=date_widget(),
            help_text=_("Fiscal-year money: after this date it can no longer be committed."),
        )

    def restriction(self) -> Restriction:
        c = self.cleaned_data
        return Restriction(
            kind=c["restriction_kind"],
            theme=c.get("theme"),
            call_ref=(c.get("call_ref") or "").strip(),
            expires_on=c.get("expires_on"),
        )


class InflowForm(MoneyFormMixin, RestrictionFormMixin, forms.Form):
    amount_fields = ("amount", "fee")

    source_type = forms.ChoiceField(
        label=_("Source type"), choices=[c for c in SourceType.choices if c[0] != SourceType.RECOVERY]
    )
    funder = forms.ModelChoiceField(
        label=_("Funder"),
        queryset=Funder.objects.order_by("name"),
        required=False,
        help_text=_("Required except for public small donations."),
    )
    amount = AmountField(label=_("Amount received"))
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    received_on = forms.DateField(label=_("Received on"), widget=date_widget())
    fee = AmountField(label=_("Processing fee"), required=False)
    external_ref = forms.CharField(
        label=_("Bank or platform reference"),
        max_length=200,
        required=False,
        help_text=_("Each reference can be recorded only once."),
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    document = forms.FileField(label=_("Reference document"), required=False)
    document_title = forms.CharField(label=_("Document title"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = pool_currency()
        self.fields["received_on"].initial = timezone.localdate
        self.add_restriction_fields()


class PledgeForm(MoneyFormMixin, RestrictionFormMixin, forms.Form):
    funder = forms.ModelChoiceField(label=_("Funder"), queryset=Funder.objects.order_by("name"))
    amount = AmountField(label=_("Amount pledged"))
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    pledged_on = forms.DateField(label=_("Pledged on"), widget=date_widget())
    expected_by = forms.DateField(label=_("Expected by"), required=False, widget=date_widget())
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = pool_currency()
        self.fields["pledged_on"].initial = timezone.localdate
        self.add_restriction_fields()


class PledgeReceiveForm(MoneyFormMixin, forms.Form):
    amount = AmountField(label=_("Amount received"))
    received_on = forms.DateField(label=_("Received on"), widget=date_widget())
    external_ref = forms.CharField(label=_("Bank or platform reference"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(label=_("File"), help_text=_("PDF, JPEG, PNG, DOCX or XLSX, at most 10 MB."))


class RefundForm(MoneyFormMixin, forms.Form):
    KINDS = [
        ("refund", _("Refund to the payer")),
        ("chargeback", _("Chargeback (disputed payment)")),
        ("fee", _("Processing fee")),
    ]

    kind = forms.ChoiceField(label=_("Kind"), choices=KINDS)
    amount = AmountField(label=_("Amount"))
    external_ref = forms.CharField(label=_("Bank or platform reference"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
