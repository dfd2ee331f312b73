"""Reviewers' pages: their assignments, the declaration, scoring, attachments (blind where the call says so)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.uploads import private_file_response
from grants import lifecycle
from grants.common import GrantsError
from grants.conversation import selectors as conversation_selectors
from grants.conversation.views import new_nonce
from grants.review import selectors as review_selectors
from grants.review import services as review_services
from grants.review.forms import DeclarationForm, ReviewerProfileForm, ReviewForm


@login_required
def reviewer_profile(request):
    # The form names every resident group, filed or not: for trustees declaring conflicts only.
    if not request.user.has_perm("grants.review_application"):
        raise Http404
    profile = getattr(request.user, "reviewer_profile", None)
    initial = (
        {"related_groups": profile.related_groups.all(), "related_parties": profile.related_parties} if profile else {}
    )
    form = ReviewerProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        review_services.reviewer_profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, _("Saved. Applications from these groups will never be assigned to you."))
        return redirect("grants:review_list")
    return render(request, "grants/reviewer_profile.html", {"form": form})


@login_required
def review_detail(request, pk):
    """Declare first; then the application (without identifying details under blind review) and
    the score sheet. Only the reviewer's own scores are ever shown here."""
    assignment = review_selectors.assignment_for_reviewer(user=request.user, pk=pk)
    application = assignment.application
    if assignment.recused:
        # They see that they recused, and why; never the application.
        if request.method == "POST":
            messages.error(request, _("You declared a conflict of interest on this application."))
            return redirect("grants:review_detail", pk=assignment.pk)
        return render(request, "grants/review_recused.html", {"assignment": assignment, "call": application.call})
    if not assignment.declared_at:
        form = DeclarationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                review_services.review_declare(
                    assignment=assignment,
                    user=request.user,
                    conflict=form.cleaned_data["conflict"],
                    note=form.cleaned_data["note"],
                )
            except GrantsError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                if form.cleaned_data["conflict"]:
                    messages.info(request, _("Recorded: you are recused from this application."))
                return redirect("grants:review_detail", pk=assignment.pk)
        return render(
            request, "grants/review_declare.html", {"assignment": assignment, "form": form, "call": application.call}
        )
    criteria = list(application.call.criteria.all())
    review = getattr(assignment, "review", None)
    initial = {}
    if review is not None:
        initial = {
            "recommendation": review.recommendation,
            "comment_for_staff": review.comment_for_staff,
            "comment_for_group": review.comment_for_group,
        }
        for score in review.scores.all():
            initial[f"points_{score.criterion_id}"] = score.points
            initial[f"comment_{score.criterion_id}"] = score.comment
    form = ReviewForm(request.POST or None, criteria=criteria, initial=initial)
    problems = []
    if request.method == "POST":
        if form.is_valid():
            c = form.cleaned_data
            scores = [
                review_services.ScoreInput(cr.pk, c.get(f"points_{cr.pk}"), c.get(f"comment_{cr.pk}", ""))
                for cr in criteria
            ]
            try:
                review_services.review_save(
                    assignment=assignment,
                    user=request.user,
                    scores=scores,
                    recommendation=c.get("recommendation", ""),
                    comment_for_staff=c.get("comment_for_staff", ""),
                    comment_for_group=c.get("comment_for_group", ""),
                    submit="submit" in request.POST,
                )
            except GrantsError as exc:
                problems = exc.messages
            else:
                messages.success(request, _("Review submitted.") if "submit" in request.POST else _("Saved."))
                return redirect("grants:review_detail", pk=assignment.pk)
        else:
            problems = [_("Some scores need attention; see the messages beside them.")]
    return render(
        request,
        "grants/review_detail.html",
        {
            "assignment": assignment,
            "application": application,
            "form": form,
            "problems": problems,
            "blind": application.call.blind_review,
            "review": review,
            "editable": application.status == lifecycle.Status.IN_REVIEW,
            "attachments": [
                a for a in application.attachments.all() if not (application.call.blind_review and a.identifying)
            ],
            # Questions for the group, through staff, with the group's answers (never who wrote them).
            "questions": conversation_selectors.questions_for_reviewer(assignment=assignment),
            "may_ask": application.status in (lifecycle.Status.SUBMITTED, lifecycle.Status.IN_REVIEW)
            and not (review and review.submitted_at),
            "nonce": new_nonce(),
        },
    )


@login_required
@require_GET
def review_attachment(request, pk, attachment_pk):
    """An attachment of an application the reviewer may open; identifying ones stay hidden under blind review."""
    assignment = review_selectors.assignment_for_reviewer(user=request.user, pk=pk)
    if not assignment.declared_at or assignment.recused:
        raise Http404
    attachment = get_object_or_404(assignment.application.attachments, pk=attachment_pk)
    if assignment.application.call.blind_review and attachment.identifying:
        raise Http404
    return private_file_response(attachment.file, content_type=attachment.content_type, label=attachment.title)
