"""Forms reviewers fill in."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grants.models import ResidentGroup


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
        from grants.models import Recommendation

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
