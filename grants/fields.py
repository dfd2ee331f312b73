"""Form pieces every stage's forms use: long-text boxes, money fields, a reason box that says who reads it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fundpool.errors import FundpoolError
from fundpool.money import parse_amount

TEXTAREA = {"rows": 4}


def money_field(value, *, allow_zero=False):
    try:
        return parse_amount(value, allow_zero=allow_zero)
    except FundpoolError as exc:
        raise forms.ValidationError(str(exc)) from None


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, label=None, **kwargs):
        # Every reason box says who will read it (e.g. lifecycle.Step.reason_label).
        super().__init__(*args, **kwargs)
        if label:
            self.fields["reason"].label = label
