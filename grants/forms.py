"""Forms for groups and applications. They read input; the services decide and write."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fundpool.errors import FundpoolError
from fundpool.forms import AmountField, date_widget
from fundpool.money import format_amount, parse_amount

from .models import BudgetLine, Community, GroupType, PriorityProblem, ResidentGroup
from .validators import normalise_contact, normalise_phone, validate_credit_code

TEXTAREA = {"rows": 4}


def _money(value, *, allow_zero=False):
    try:
        return parse_amount(value, allow_zero=allow_zero)
    except FundpoolError as exc:
        raise forms.ValidationError(str(exc)) from None


class GroupForm(forms.ModelForm):
    charter = forms.FileField(
        label=_("Charter"), required=False, help_text=_("PDF, JPEG, PNG, DOCX or XLSX, at most 10 MB.")
    )

    class Meta:
        model = ResidentGroup
        fields = [
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
        widgets = {
            "member_list": forms.Textarea(attrs=TEXTAREA),
            "introduction": forms.Textarea(attrs=TEXTAREA),
            "leader_phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
            "member_count": forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Community.objects.select_related("sub_district").order_by("name")
        self.fields["credit_code"].help_text = _("Only for registered organisations: 18 characters.")

    def clean_leader_phone(self):
        return normalise_phone(self.cleaned_data.get("leader_phone", ""))

    def clean_credit_code(self):
        code = (self.cleaned_data.get("credit_code") or "").strip().upper()
        validate_credit_code(code)
        return code

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("group_type") == GroupType.REGISTERED and not cleaned.get("credit_code"):
            self.add_error("credit_code", _("A registered organisation gives its unified social credit code."))
        return cleaned

    def validate_unique(self):
        # The service reports a duplicate name in the group's words.
        pass


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email of the person to invite"))


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
        return _money(value, allow_zero=True) if value not in (None, "") else Decimal("0.00")

    def clean_matched_contribution(self):
        value = self.cleaned_data.get("matched_contribution")
        return _money(value, allow_zero=True) if value not in (None, "") else Decimal("0.00")

    def clean_requested_amount(self):
        value = self.cleaned_data.get("requested_amount")
        return _money(value, allow_zero=True) if value not in (None, "") else Decimal("0.00")


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
        return _money(self.cleaned_data.get("unit_cost"))

    def clean_amount(self):
        return _money(self.cleaned_data.get("amount"))

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


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, label=None, **kwargs):
        # Every reason box says who will read it (e.g. lifecycle.TransitionInfo.reason_label).
        super().__init__(*args, **kwargs)
        if label:
            self.fields["reason"].label = label


class AwardForm(ReasonForm):
    amount = AmountField(label=_("Amount awarded"))


class FilingForm(forms.Form):
    filing_number = forms.CharField(label=_("Filing number"), max_length=50)
    filed_on = forms.DateField(label=_("Filed on"), widget=date_widget())


class DeclarationForm(forms.Form):
    conflict = forms.TypedChoiceField(
        label=_("Do you have a conflict of interest with this application?"),
        choices=[
            ("no", _("No: I have no relation to the group or its members")),
            ("yes", _("Yes: I am related to the group or its members")),
        ],
        widget=forms.RadioSelect,
        coerce=lambda v: v == "yes",
    )
    note = forms.CharField(
        label=_("What is the relation? (required if yes)"),
        help_text=_("Fund staff read it; if they judge it no conflict, they can reinstate you."),
        required=False,
        max_length=300,
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("conflict") and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Say what the relation is, so staff can judge the conflict."))
        return cleaned


class ReviewForm(forms.Form):
    """One points field (and comment) per rubric criterion, a recommendation, two kinds of comment."""

    recommendation = forms.ChoiceField(
        label=_("Recommendation"), required=False, choices=[("", "—")], widget=forms.RadioSelect
    )
    comment_for_staff = forms.CharField(
        label=_("Comments for fund staff (the group does not see these)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    comment_for_group = forms.CharField(
        label=_("Comments for the group"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )

    def __init__(self, *args, criteria=(), **kwargs):
        from .models import Recommendation

        super().__init__(*args, **kwargs)
        self.fields["recommendation"].choices = list(Recommendation.choices)
        self.criteria = list(criteria)
        for c in self.criteria:
            self.fields[f"points_{c.pk}"] = forms.DecimalField(
                label=_("%(name)s (out of %(max)s, weight %(weight)s%%)")
                % {"name": c.name, "max": c.max_points, "weight": f"{c.weight:g}"},
                required=False,
                min_value=0,
                max_value=c.max_points,
                decimal_places=2,
                help_text=c.description,
                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
            )
            self.fields[f"comment_{c.pk}"] = forms.CharField(
                label=pgettext_lazy("explanation", "Comment"),
                required=False,
                max_length=500,
                widget=forms.TextInput(attrs={"placeholder": _("Comment on this score (optional)")}),
            )

    def criterion_fields(self):
        return [(c, self[f"points_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]


class ReviewerProfileForm(forms.Form):
    related_groups = forms.ModelMultipleChoiceField(
        label=_("Groups I am related to"),
        queryset=ResidentGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Groups you belong to, advise, or whose members are family or close colleagues."),
    )
    related_parties = forms.CharField(
        label=_("Other related parties"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["related_groups"].queryset = ResidentGroup.objects.select_related("community").order_by(
            "community__name", "name"
        )


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


# --- delivery ---------------------------------------------------------------------------------


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
