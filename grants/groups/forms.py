"""Forms for groups and their filing."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fundpool.forms import date_widget
from grants.fields import TEXTAREA
from grants.models import Community, GroupType, ResidentGroup
from grants.validators import normalise_phone, validate_credit_code


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


class FilingForm(forms.Form):
    filing_number = forms.CharField(label=_("Filing number"), max_length=50)
    filed_on = forms.DateField(label=_("Filed on"), widget=date_widget())
