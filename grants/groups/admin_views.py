"""Staff file (备案) or return a group's registration."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.common import GrantsError, require_perm
from grants.fields import ReasonForm
from grants.groups import selectors as group_selectors
from grants.groups import services as group_services
from grants.groups.forms import FilingForm
from grants.models import ResidentGroup


def group_filing(request, pk):
    require_perm(request, "grants.file_residentgroup")
    group = get_object_or_404(ResidentGroup.objects.select_related("community"), pk=pk)
    file_form = FilingForm(
        request.POST if request.POST.get("action") == "file" else None, initial={"filed_on": timezone.localdate()}
    )
    return_form = ReasonForm(
        request.POST if request.POST.get("action") == "return" else None, label=_("Reason (the group will see it)")
    )
    if request.method == "POST":
        try:
            if request.POST.get("action") == "file" and file_form.is_valid():
                group_services.group_file(group=group, actor=request.user, **file_form.cleaned_data)
                messages.success(request, _("%(group)s is filed.") % {"group": group.name})
                return redirect("grants_admin:group_filing", pk=group.pk)
            if request.POST.get("action") == "return" and return_form.is_valid():
                group_services.group_return(group=group, reason=return_form.cleaned_data["reason"], actor=request.user)
                messages.success(request, _("Returned to the group."))
                return redirect("grants_admin:group_filing", pk=group.pk)
        except GrantsError as exc:
            for message in exc.messages:
                messages.error(request, message)
    return render(
        request,
        "grants/admin/group_filing.html",
        {
            "group": group,
            "file_form": file_form,
            "return_form": return_form,
            "members": group_selectors.group_members(group=group),
        },
    )
