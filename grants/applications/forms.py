"""The application form: details, budget lines, milestones, attachments."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fundpool.forms import AmountField, date_widget
from grants.fields import TEXTAREA, money_field
from grants.models import BudgetLine, PriorityProblem


class ApplicationForm(forms.Form):
    """The group's own fields. Status, award and anything staff decide are not here at all."""

    title = forms.CharField(label=_("Project title"), max_length=120)
    problem = forms.ModelChoiceField(
        label=_("Priority problem addressed"), queryset=PriorityProblem.objects.none(), required=False
    )
    summary = forms.CharField(
        label=pgettext_lazy("application", "Summary"),
        widget=forms.Textarea(attrs=TEXTAREA),
        required=False,
        max_length=5000,
    )
    activities = forms.CharField(
        label=_("Activities"), widget=forms.Textarea(attrs=TEXTAREA), required=False, max_length=5000
    )
    beneficiaries = forms.CharField(label=_("Who benefits"), required=False, max_length=300)
    beneficiary_count = forms.IntegerField(
        label=_("How many people benefit"),
        required=False,
        min_value=1,
        max_value=1_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    team = forms.CharField(label=_("Team"), widget=forms.Textarea(attrs=TEXTAREA), required=False, max_length=5000)
    own_contribution = AmountField(label=_("Group's own contribution"), required=False)
    matched_contribution = AmountField(label=_("Matched contributions secured"), required=False)
    requested_amount = AmountField(
        label=_("Amount requested"), required=False, help_text=_("Must equal the total of the budget lines.")
    )

    def __init__(self, *args, call=None, **kwargs):
        super().__init__(*args, **kwargs)
        problems = PriorityProblem.objects.select_related("theme").order_by("rank")
        if call is not None and call.pk and call.problems.exists():
            problems = problems.filter(pk__in=call.problems.values("pk"))
        self.fields["problem"].queryset = problems

    def clean_own_contribution(self):
        value = self.cleaned_data.get("own_contribution")
        return money_field(value, allow_zero=True) if value not in (None, "") else Decimal("0.00")

    def clean_matched_contribution(self):
        value = self.cleaned_data.get("matched_contribution")
        return money_field(value, allow_zero=True) if value not in (None, "") else Decimal("0.00")

    def clean_requested_amount(self):
        value = self.cleaned_data.get("requested_amount")
        return money_field(value, allow_zero=True) if value not in (None, "") else Decimal("0.00")


class BudgetLineForm(forms.Form):
    # An empty first choice, so a blank extra row left untouched is not "changed" by its select.
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *BudgetLine.Category.choices])
    item = forms.CharField(label=_("Item"), max_length=100)
    unit_cost = AmountField(label=_("Unit cost"))
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )
    amount = AmountField(label=_("Amount"))

    def clean_unit_cost(self):
        return money_field(self.cleaned_data.get("unit_cost"))

    def clean_amount(self):
        return money_field(self.cleaned_data.get("amount"))

    def clean(self):
        cleaned = super().clean()
        unit, qty, amount = cleaned.get("unit_cost"), cleaned.get("quantity"), cleaned.get("amount")
        if unit is not None and qty is not None and amount is not None and unit * qty != amount:
            self.add_error(
                "amount",
                _("%(unit)s × %(qty)s is %(product)s, not %(amount)s.")
                % {"unit": unit, "qty": qty, "product": (unit * qty).quantize(Decimal("0.01")), "amount": amount},
            )
        return cleaned


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=120)
    due_on = forms.DateField(label=_("By"), widget=date_widget())


# absolute_max: a tampered TOTAL_FORMS builds at most this many forms (Django's default allows 1,000 more).
BudgetLineFormSet = formset_factory(
    BudgetLineForm, extra=1, max_num=50, absolute_max=50, validate_max=True, can_delete=True
)


MilestoneFormSet = formset_factory(
    MilestoneForm, extra=1, max_num=20, absolute_max=20, validate_max=True, can_delete=True
)


class AttachmentForm(forms.Form):
    # Its own prefix: it sits on the application page beside the application's own title field.
    prefix = "attachment"

    title = forms.CharField(label=_("Title"), max_length=120, required=False)
    file = forms.FileField(
        label=_("File"), help_text=_("PDF, JPEG, PNG, DOCX or XLSX, at most 10 MB; at most 10 files.")
    )
    identifying = forms.BooleanField(label=_("This file names the group or its members"), required=False)
