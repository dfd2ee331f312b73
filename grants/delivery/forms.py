"""Forms of delivery."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fundpool.forms import AmountField, date_widget
from fundpool.money import format_amount
from grants.fields import TEXTAREA


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos from one input; the service checks each one by its bytes."""

    def clean(self, data, initial=None):
        return [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]


def _photos_field():
    return PhotosField(
        label=_("Photos"),
        required=False,
        widget=MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png", "multiple": True}),
        help_text=_("Up to 6 JPEG or PNG photos. Location and camera data are removed."),
    )


class ActivityForm(forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=date_widget())
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("What happened"), max_length=4000, widget=forms.Textarea(attrs=TEXTAREA))
    participants = forms.IntegerField(label=_("Participants"), min_value=0, max_value=1_000_000)
    beneficiaries_reached = forms.IntegerField(label=_("Beneficiaries reached"), min_value=0, max_value=1_000_000)
    photos = _photos_field()


class ExpenseForm(forms.Form):
    budget_line = forms.TypedChoiceField(label=_("Budget line"), coerce=int)
    amount = AmountField(label=_("Amount"))
    spent_on = forms.DateField(label=_("Date"), widget=date_widget())
    payee = forms.CharField(label=_("Paid to"), max_length=100)
    description = forms.CharField(label=_("What for"), max_length=200, required=False)
    receipt = forms.FileField(label=_("Receipt"), help_text=_("PDF, JPEG or PNG, at most 5 MB."))
    over_tolerance_reason = forms.CharField(
        label=_("If this takes the line beyond its tolerance: why it needs more (the fund's staff will see it)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["budget_line"].choices = [
            (line.pk, f"{line.item}（{format_amount(line.amount)}）") for line in lines
        ]


class ReportForm(forms.Form):
    outcomes = forms.CharField(
        label=_("Outcomes against the plan"), max_length=6000, widget=forms.Textarea(attrs={"rows": 5})
    )
    beneficiaries_reached = forms.IntegerField(label=_("Beneficiaries reached"), min_value=0, max_value=1_000_000)
    story = forms.CharField(
        label=_("A story from the project"), max_length=6000, required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    lessons = forms.CharField(
        label=_("Lessons learned"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = _photos_field()


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=[(n, f"{'★' * n} {n}") for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional; shown after staff read it)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class EvaluationForm(forms.Form):
    score = forms.DecimalField(label=_("Score (0–100)"), min_value=0, max_value=100, decimal_places=2)
    comment = forms.CharField(
        label=_("Evaluation comments (the group will see them)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TranchePayForm(forms.Form):
    payment_reference = forms.CharField(label=_("Payment reference"), max_length=100)


class RecoveryReceiveForm(forms.Form):
    amount = AmountField(label=_("Amount received"))
    received_on = forms.DateField(label=_("Received on"), widget=date_widget())
    reference = forms.CharField(label=_("Bank reference"), max_length=100)
