"""Forms of the award stage."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundpool.forms import AmountField, date_widget
from grants.fields import ReasonForm
from grants.validators import normalise_contact


class AwardForm(ReasonForm):
    amount = AmountField(label=_("Amount awarded"))


class ObjectionForm(forms.Form):
    name = forms.CharField(label=_("Your real name"), max_length=50, required=False)
    contact = forms.CharField(
        label=_("Phone or email"),
        max_length=100,
        required=False,
        help_text=_(
            "An email address gets a link to confirm the objection; for a phone number, staff call you and "
            "ask for the code you will be shown."
        ),
    )
    text = forms.CharField(
        label=_("Your objection"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, required=False
    )

    def clean_contact(self):
        # Empty is for the service to refuse, with its own message.
        value = self.cleaned_data.get("contact", "")
        return normalise_contact(value) if value.strip() else ""


class SignForm(ReasonForm):
    conditions = forms.CharField(
        label=_("Conditions of the grant"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    signed_on = forms.DateField(
        label=_("Signed on"),
        widget=date_widget(),
        required=False,
        help_text=_("Empty: today. Not in the future, and not before the award was confirmed."),
    )

    def __init__(self, *args, application=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.application = application
        widget = self.fields["signed_on"].widget
        widget.attrs["max"] = timezone.localdate().isoformat()
        if application is not None and application.awarded_at is not None:
            widget.attrs["min"] = timezone.localdate(application.awarded_at).isoformat()

    def clean_signed_on(self):
        signed_on = self.cleaned_data.get("signed_on")
        if signed_on is not None and self.application is not None:
            problem = self.application.signing_date_problem(signed_on)
            if problem:
                raise forms.ValidationError(problem)
        return signed_on
