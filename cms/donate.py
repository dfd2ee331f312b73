"""Public giving: the donate page (preset or custom amount, designation, name or anonymous, message,
email), the pages Checkout returns to, the donor's private acknowledgement with where the gift went,
and campaign pages with their progress. Views read input, call one service, show the result."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core import ratelimit
from fundpool import system_reasons
from fundpool.donations import gateway
from fundpool.donations import selectors as donation_selectors
from fundpool.donations import services as donation_services
from fundpool.errors import FundpoolError
from fundpool.ledger.engine import Restriction
from fundpool.models import DonationStatus, RestrictionKind, Theme
from fundpool.money import format_amount, parse_amount
from grants.public import selectors as public_selectors

OTHER = "other"


def designation_choices():
    calls, projects = public_selectors.donation_targets()
    themes = list(Theme.objects.order_by("code"))
    return [
        ("pool", gettext_lazy("Where it is needed most (the general pool)")),
        (gettext_lazy("A theme"), [(f"theme:{t.code}", t.name) for t in themes]),
        (gettext_lazy("An open call"), [(f"call:{c.slug}", c.title) for c in calls]),
        (
            gettext_lazy("A funded project"),
            [
                (f"project:{p.pk}", p.title if p.group.name in p.title else f"{p.title}（{p.group.name}）")
                for p in projects
            ],
        ),
    ]


def resolve_designation(value: str) -> tuple[Restriction, str, str]:
    """(restriction, label, reference) for a designation the form offered; ValueError otherwise.
    A funded project's gifts are restricted to its theme and shown with the project."""
    kind, _sep, key = (value or "").partition(":")
    if value == "pool":
        return Restriction(), system_reasons.encode("fund.general_pool"), ""
    if kind == "theme":
        theme = Theme.objects.filter(code=key).first()
        if theme:
            return Restriction(kind=RestrictionKind.THEME, theme=theme), theme.name, ""
    if kind == "call":
        calls, _projects = public_selectors.donation_targets()
        call = next((c for c in calls if c.slug == key), None)
        if call:
            return Restriction(kind=RestrictionKind.CALL, call_ref=call.reference), call.title, call.reference
    if kind == "project" and key.isdigit():
        project = public_selectors.funded_project(pk=int(key))
        if project:
            theme = project.problem.theme if project.problem_id else None
            restriction = Restriction(kind=RestrictionKind.THEME, theme=theme) if theme else Restriction()
            return restriction, project.title, project.reference
    raise ValueError(value)


class DonateForm(forms.Form):
    preset = forms.ChoiceField(label=gettext_lazy("Amount"), widget=forms.RadioSelect)
    custom = forms.CharField(
        label=gettext_lazy("Another amount (¥)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "¥"}),
    )
    designation = forms.ChoiceField(label=gettext_lazy("Where should it go?"))
    display_name = forms.CharField(
        label=gettext_lazy("Name to show (optional)"),
        required=False,
        max_length=60,
        help_text=gettext_lazy("Shown with your gift on public pages unless you give anonymously."),
    )
    anonymous = forms.BooleanField(label=gettext_lazy("Give anonymously"), required=False)
    message = forms.CharField(
        label=gettext_lazy("Message (optional)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    email = forms.EmailField(
        label=gettext_lazy("Email for your acknowledgement (optional)"),
        required=False,
        help_text=gettext_lazy("We send the acknowledgement and a private link to follow your gift; nothing else."),
    )

    def __init__(self, *args, campaign=None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        if campaign is not None:
            # A campaign's gifts go where the campaign says (and only those are matched).
            del self.fields["designation"]
        self.fields["preset"].choices = [(p, format_amount(parse_amount(p))) for p in settings.DONATION_PRESETS] + [
            (OTHER, gettext_lazy("Other amount"))
        ]
        if "designation" in self.fields:
            self.fields["designation"].choices = designation_choices()

    def clean(self):
        cleaned = super().clean()
        preset = cleaned.get("preset")
        if (cleaned.get("custom") or "").strip():
            preset = OTHER  # typing an amount chooses it, whatever button was left selected
            self.errors.pop("preset", None)
        raw = cleaned.get("custom") if preset == OTHER else preset
        if preset:
            try:
                cleaned["amount"] = donation_services.gift_amount(raw)
            except FundpoolError as exc:
                self.add_error("custom" if preset == OTHER else "preset", str(exc))
        if self.campaign is not None:
            cleaned["resolved"] = (
                Restriction.of(self.campaign),
                self.campaign.designation_label or system_reasons.encode("fund.general_pool"),
                self.campaign.designation_ref,
            )
        elif cleaned.get("designation"):
            try:
                cleaned["resolved"] = resolve_designation(cleaned["designation"])
            except ValueError:
                self.add_error("designation", _("Choose where your gift should go."))
        return cleaned


@never_cache
@require_http_methods(["GET", "POST"])
def donate(request):
    campaign = None
    slug = str(request.GET.get("campaign") or request.POST.get("campaign") or "")[:80]
    if slug and "\x00" not in slug:  # PostgreSQL refuses to compare with a NUL byte
        campaign = donation_selectors.campaigns_active().filter(slug=slug).first()
    form = DonateForm(request.POST or None, initial={"preset": "50", "designation": "pool"}, campaign=campaign)
    enabled = gateway.configured()
    # Each gift started makes a Donation and a Checkout session: a script must not make thousands.
    limited = request.method == "POST" and enabled and ratelimit.limited(request, "donation")
    if limited:
        form.is_valid()
        form.add_error(
            None, _("Too many gifts have been started from your connection in the last hour. Please try again later.")
        )
    elif request.method == "POST" and enabled and form.is_valid():
        restriction, label, ref = form.cleaned_data["resolved"]
        try:
            donation = donation_services.donation_start(
                amount=form.cleaned_data["amount"],
                restriction=restriction,
                designation_label=label,
                designation_ref=ref,
                display_name=form.cleaned_data["display_name"],
                anonymous=form.cleaned_data["anonymous"],
                message=form.cleaned_data["message"],
                email=form.cleaned_data["email"],
                campaign=campaign,
            )
            session = donation_services.donation_checkout(
                donation=donation,
                success_url=request.build_absolute_uri(reverse("donate_thanks", args=[donation.token])),
                cancel_url=request.build_absolute_uri(reverse("donate_cancel", args=[donation.token])),
            )
        except FundpoolError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(session.url, permanent=False)
    status = 429 if limited else 400 if request.method == "POST" and (form.errors or not enabled) else 200
    return render(
        request,
        "cms/donate.html",
        {
            "form": form,
            "enabled": enabled,
            "campaign": campaign,
            "campaigns": [] if campaign else list(donation_selectors.campaigns_active()[:5]),
        },
        status=status,
    )


@never_cache
def donate_thanks(request, token):
    """Back from Checkout: the gift counts only once Stripe's signed webhook confirms it."""
    donation = donation_selectors.donation_for_token(token=token)
    waiting = donation.status == DonationStatus.PENDING
    recent = timezone.now() - donation.created_at < timedelta(minutes=15)
    return render(
        request,
        "cms/donate_thanks.html",
        {
            "donation": donation,
            "confirmed": donation.status == DonationStatus.CONFIRMED,
            "waiting": waiting,
            "refresh": waiting and recent,
        },
    )


@never_cache
def donate_cancel(request, token):
    donation = donation_services.donation_cancel(token=str(token)[:64])
    if donation is None:
        raise Http404
    if donation.status == DonationStatus.CANCELLED:
        messages.info(request, _("You cancelled the payment. Nothing was charged and nothing was kept."))
        return redirect("donate")
    # Paid (or closed) already: say what really happened.
    return redirect("donate_thanks", token=donation.token)


@never_cache
def acknowledgement(request, token):
    """The donor's private page: the acknowledgement and where the gift went, live from the ledger."""
    donation = donation_selectors.donation_for_token(token=token)
    trace = donation_selectors.donation_trace(donation=donation)
    reached = []
    if trace:
        projects = public_selectors.projects_for_references([r["reference"] for r in trace["reached"]])
        for r in trace["reached"]:
            project = projects.get(r["reference"])
            reached.append({**r, "project": project, "capacity": r["reference"].endswith(":capacity")})
    response = render(
        request,
        "cms/acknowledgement.html",
        {
            "donation": donation,
            "trace": trace,
            "reached": reached,
            "refunded_in_full": bool(trace) and trace["returned"] >= donation.amount,
            "match": getattr(donation, "match", None) if donation.campaign_id else None,
        },
    )
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


def campaign(request, slug):
    item = donation_selectors.campaign_for_slug(slug=slug)
    return render(
        request,
        "cms/campaign.html",
        {"campaign": item, "progress": donation_selectors.campaign_progress(campaign=item)},
    )


def language(request, code):
    """Switch the site's language with a plain link (no form, so public pages carry no per-visitor
    token and can be cached): sets the language cookie, then back to where the visitor was."""
    from django.conf import settings
    from django.http import HttpResponseRedirect
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if code in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
    return response


@never_cache
def acknowledgement_pdf(request, token):
    """The acknowledgement as a PDF, for a received gift."""
    from core.pdf import pdf_response, render_pdf

    donation = donation_selectors.donation_for_token(token=token)
    if donation.status != DonationStatus.CONFIRMED:
        raise Http404
    response = pdf_response(
        lambda: render_pdf(
            "cms/documents/acknowledgement.html", {"donation": donation}, title=_("Acknowledgement of a gift")
        ),
        filename=f"acknowledgement-{donation.confirmed_at:%Y%m%d}.pdf",
    )
    response["X-Robots-Tag"] = "noindex"
    return response
