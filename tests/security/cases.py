"""The security tests' shared ground: the URL patterns the project serves, a small world of objects
that belong to one resident group (the "owner"), the people who try to reach them, and the table
saying, for every URL that takes an object id, whose eyes each object is for."""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from fundpool.ledger import services as ledger_services
from grants import transitions
from grants.applications import services as application_services
from grants.delivery import services as delivery_services

# --- the URL patterns ---------------------------------------------------------------------------

OUR_APPS = ("config", "fundpool", "grants", "cms", "reports")


@dataclass(frozen=True)
class Route:
    name: str  # namespaced, as reverse() takes it
    route: str  # the whole pattern, prefixes included
    callback: Callable
    takes_id: bool  # the path captures something (an int pk, a token, a slug, a year...)

    @property
    def ours(self) -> bool:
        """Our own views, and Wagtail's generic views registered by our viewsets over our models."""
        view_class = getattr(self.callback, "view_class", None)
        if (view_class or self.callback).__module__.split(".")[0] in OUR_APPS:
            return True
        model = (getattr(self.callback, "view_initkwargs", None) or {}).get("model")
        return getattr(getattr(model, "_meta", None), "app_label", None) in OUR_APPS

    @property
    def csrf_exempt(self) -> bool:
        return bool(getattr(self.callback, "csrf_exempt", False))


def routes() -> list[Route]:
    """Every URL pattern the site serves, found by walking the resolver (Wagtail's hooks included)."""

    def walk(patterns, prefix, namespaces, captures):
        for p in patterns:
            takes = captures or p.pattern.regex.groups > 0
            if isinstance(p, URLResolver):
                ns = namespaces + ((p.namespace,) if p.namespace else ())
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns, takes)
            else:
                name = ":".join(namespaces + (p.name,)) if p.name else ""
                yield Route(name, prefix + str(p.pattern), p.callback, takes)

    return list(walk(get_resolver().url_patterns, "", (), False))


# --- who tries --------------------------------------------------------------------------------

ANON = "anonymous"
OWNER = "owner"  # a member (the leader) of the group that owns the objects
APPLICANT = "applicant"  # leader of another group
REVIEWER = "reviewer"  # a trustee reviewer assigned to none of the owner's applications
ASSIGNED = "reviewer_assigned"  # a trustee reviewer assigned to them (declared, not recused)
STAFF = "staff"
FINANCE = "finance"
ROLES = (ANON, OWNER, APPLICANT, REVIEWER, ASSIGNED, STAFF, FINANCE)

NOBODY: frozenset[str] = frozenset()
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {ANON}
FUND = frozenset({STAFF, FINANCE})


# --- small files --------------------------------------------------------------------------------


def pdf(name="plan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )


def jpeg_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, "JPEG")
    return out.getvalue()


def jpeg(name="photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(), content_type="image/jpeg")


# --- the world ----------------------------------------------------------------------------------


def build_world() -> SimpleNamespace:
    """One resident group's objects at every stage, plus the fund's own rows, and a user per role.
    Built once per test module; every test runs in a savepoint rolled back after it."""
    from cms.models import OutcomeIndexPage, OutcomePage
    from cms.roles import ensure_roles
    from fundpool.models import (
        Account,
        Campaign,
        Commitment,
        Donation,
        DonationChannel,
        DonationStatus,
        ImportBatch,
        SourceType,
        StripeEvent,
    )
    from grants.award.documents import agreement_pdf
    from grants.lifecycle import Status
    from grants.models import (
        Expense,
        ExpenseStatus,
        Feedback,
        GroupInvitation,
        Objection,
        ProjectPhoto,
        ProjectReport,
        Recovery,
        ReportKind,
        ReviewAssignment,
        Tranche,
        TrancheStatus,
    )
    from reports.models import DocumentJob, JobStatus
    from tests.factories import ApplicationFactory, CallFactory, FunderFactory, GroupFactory, UserFactory
    from tests.grants.conftest import put_in_state

    roles = ensure_roles()
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    now = timezone.now()
    w = SimpleNamespace(today=today)

    def person(key, role):
        user = UserFactory(username=f"sec-{key}", email=f"sec-{key}@example.invalid")
        user.groups.add(roles[role])
        return user

    w.users = {
        ANON: None,
        OWNER: person("owner", "applicant"),
        APPLICANT: person("applicant", "applicant"),
        REVIEWER: person("reviewer", "reviewer"),
        ASSIGNED: person("assigned", "reviewer"),
        STAFF: person("staff", "staff"),
        FINANCE: person("finance", "finance"),
    }
    owner, staff, assigned = w.users[OWNER], w.users[STAFF], w.users[ASSIGNED]

    w.funder = FunderFactory(name="安全测试街道办", source_type=SourceType.GOVERNMENT)
    w.inflow = ledger_services.inflow_record(
        source_type=SourceType.GOVERNMENT, funder=w.funder, amount=Decimal("100000.00"), received_on=yesterday
    )
    w.inflow_document = ledger_services.inflow_attach_document(
        inflow=w.inflow, title="拨款通知", file=pdf("notice.pdf")
    )
    w.pledge = ledger_services.pledge_record(funder=w.funder, amount=Decimal("5000.00"), pledged_on=yesterday)

    # The owner's group is awaiting filing, so its members may still edit it.
    w.group = GroupFactory(
        leader=owner, name="安全测试互助队", filing_status="pending", filing_number="", filed_on=None, charter=pdf()
    )
    GroupFactory(leader=w.users[APPLICANT], name="另一支志愿队")
    w.community = w.group.community
    w.subdistrict = w.community.sub_district
    w.call = CallFactory(blind_review=True)
    w.apply_call = CallFactory()  # open, and the owner's group has not applied to it yet
    w.hidden_call = CallFactory(published=False)

    def application(title):
        return ApplicationFactory(call=w.call, group=w.group, title=title)

    w.draft = application("草稿申请")
    w.draft_attachment = application_services.application_attach(application=w.draft, user=owner, file=pdf())
    w.problem = w.draft.problem
    w.theme = w.problem.theme

    w.in_review = application("评审中的申请")
    w.review_attachment = application_services.application_attach(application=w.in_review, user=owner, file=pdf())
    w.identifying_attachment = application_services.application_attach(
        application=w.in_review, user=owner, file=pdf("members.pdf"), identifying=True
    )
    w.in_review = put_in_state(w.in_review, Status.IN_REVIEW)
    w.assignment = ReviewAssignment.objects.create(application=w.in_review, reviewer=assigned, declared_at=now)
    w.other_assignment = ReviewAssignment.objects.create(
        application=w.in_review, reviewer=UserFactory(username="sec-another-reviewer"), declared_at=now
    )

    # The assigned trustee recused from an application awaiting screening: they see that they
    # recused (and nothing of it), and staff may reinstate them.
    w.screening = put_in_state(application("初审中的申请"), Status.SUBMITTED)
    w.recused_assignment = ReviewAssignment.objects.create(
        application=w.screening, reviewer=assigned, declared_at=now, recused=True, conflict_note="亲属"
    )

    w.on_notice = put_in_state(application("公示中的申请"), Status.ON_NOTICE)
    # One objection confirmed (open, for staff to decide); one phone number and one email address
    # still to confirm.
    w.objection = Objection.objects.create(
        application=w.on_notice, name="张三", contact="13900000000", text="有异议", status="open", confirmed_at=now
    )
    w.phone_objection = Objection.objects.create(
        application=w.on_notice,
        name="李四",
        contact="13900000001",
        contact_method="phone",
        contact_key="13900000001",
        text="有异议",
    )
    w.email_objection = Objection.objects.create(
        application=w.on_notice,
        name="王五",
        contact="wang.wu@example.invalid",
        contact_method="email",
        contact_key="wang.wu@example.invalid",
        text="有异议",
    )

    # A project under way: signed (agreement, tranches), an activity with a photo, an expense awaiting
    # staff, residents' feedback, money owed back; the assigned trustee reviewed it.
    w.project = transitions.application_transition(
        application=put_in_state(application("执行中的项目"), Status.AWARDED),
        name="sign_agreement",
        user=staff,
        signed_on=today,
    )
    agreement_pdf(w.project.agreement)  # frozen at signing, once the signing commits
    w.tranche = Tranche.objects.get(application=w.project, number=2)
    Tranche.objects.filter(pk=w.tranche.pk).update(status=TrancheStatus.DUE)
    ReviewAssignment.objects.create(application=w.project, reviewer=assigned, declared_at=now)
    delivery_services.activity_record(
        application=w.project,
        user=owner,
        held_on=today,
        title="邻里午餐会",
        description="二十位老人",
        participants=20,
        beneficiaries_reached=20,
        photos=[jpeg()],
    )
    w.photo = w.project.photos.get()
    w.expense = delivery_services.expense_record(
        application=w.project,
        user=owner,
        budget_line=w.project.budget_lines.first(),
        amount="100.00",
        spent_on=today,
        payee="社区菜市场",
        receipt=pdf("receipt.pdf"),
    )
    Expense.objects.filter(pk=w.expense.pk).update(status=ExpenseStatus.PENDING)  # as if over the tolerance
    w.feedback = Feedback.objects.create(application=w.project, rating=4, comment="很好", source="sec-test")
    w.recovery = Recovery.objects.create(application=w.project, amount_owed=Decimal("100.00"), reason="安全测试")

    # A project with its reports in: the mid-term one awaiting evaluation, the final one submitted.
    w.reporting = put_in_state(application("报告中的项目"), Status.IN_DELIVERY)
    ReviewAssignment.objects.create(application=w.reporting, reviewer=assigned, declared_at=now)
    w.report = ProjectReport.objects.create(
        application=w.reporting, kind=ReportKind.MIDTERM, outcomes="按计划进行", beneficiaries_reached=10
    )
    ProjectReport.objects.create(
        application=w.reporting, kind=ReportKind.FINAL, outcomes="全部完成", beneficiaries_reached=40
    )

    # Amendments: one asked on the reporting project (open, for staff to decide); a second signed
    # project with a decrease approved by staff, awaiting finance; an award awaiting its signature.
    from grants.delivery import amendments as delivery_amendments

    w.amendment = delivery_amendments.amendment_request(
        application=w.reporting, user=owner, kind="scope", details={"scope": "增加周末活动"}, why="居民要求"
    )
    w.project2 = transitions.application_transition(
        application=put_in_state(application("第二个执行中的项目"), Status.AWARDED),
        name="sign_agreement",
        user=staff,
        signed_on=today,
    )
    w.money_amendment = delivery_amendments.amendment_request(
        application=w.project2, user=staff, kind="amount", details={"amount": "8000.00"}, why="活动减少"
    )
    delivery_amendments.amendment_decide(amendment=w.money_amendment, actor=staff, approve=True, reason="同意")
    w.awarded = put_in_state(application("待签约的项目"), Status.AWARDED)
    from grants.models import DossierStatus, ProjectDossier

    w.dossier = ProjectDossier.objects.create(
        application=w.project,
        status=DossierStatus.DONE,
        file=ContentFile(b"PK\x05\x06" + b"\x00" * 18, name="dossier.zip"),
        sha256="0" * 64,
    )
    from grants.models import CallCheck

    w.call_check = CallCheck.objects.create(call=w.call, label="居委会推荐信")

    # A completed project whose outcome page is published: its photo is public.
    w.completed = put_in_state(application("已结项的项目"), Status.COMPLETED)
    w.public_photo = ProjectPhoto.objects.create(
        application=w.completed, image=ContentFile(jpeg_bytes(), name="done.jpg"), width=40, height=30
    )
    OutcomeIndexPage.objects.get().add_child(
        instance=OutcomePage(
            title="已结项的项目", slug="sec-completed", application=w.completed, summary="<p>完成</p>", live=True
        )
    )

    w.invitation = GroupInvitation.objects.create(group=w.group, email=w.users[APPLICANT].email, invited_by=owner)

    gift = ledger_services.inflow_record(
        source_type=SourceType.DONATION, amount=Decimal("50.00"), received_on=yesterday
    )
    w.donation = Donation.objects.create(
        channel=DonationChannel.PLATFORM,
        status=DonationStatus.CONFIRMED,
        amount=Decimal("50.00"),
        inflow=gift,
        import_ref="platform:sec-1",
        display_name="捐赠人甲",
        email="donor@example.invalid",
        confirmed_at=now,
    )
    w.pending_donation = Donation.objects.create(channel=DonationChannel.STRIPE, amount=Decimal("20.00"))
    w.campaign = Campaign.objects.create(
        title="安全测试筹款", slug="sec-campaign", goal=Decimal("1000.00"), starts_on=yesterday
    )
    w.stripe_event = StripeEvent.objects.create(
        event_id="evt_sec_1", type="checkout.session.completed", created=now, payload={}
    )
    w.import_batch = ImportBatch.objects.create(channel=DonationChannel.PLATFORM, filename="gifts.csv")
    w.commitment = Commitment.objects.get(reference=w.project.reference)
    w.account = Account.objects.order_by("pk").first()
    # Recorded after every commitment, so no grant drew on it and it can be reversed.
    w.entry = ledger_services.inflow_record(
        source_type=SourceType.DONATION, amount=Decimal("10.00"), received_on=yesterday, description="spare"
    ).entry

    # A conversation about the application under review: a message from staff with a file, an
    # internal note with a file, a reviewer's question, and a request for information.
    from grants.conversation import services as conversation_services

    w.fund_message = conversation_services.message_send(
        application=w.in_review, user=staff, body="请补充成员名单", as_fund=True, files=[pdf("ask.pdf")]
    ).message
    w.message_file = w.fund_message.attachments.get()
    w.note = conversation_services.message_send(
        application=w.in_review,
        user=staff,
        body="内部：组长电话已核实",
        as_fund=True,
        internal=True,
        files=[pdf("n.pdf")],
    ).message
    w.note_file = w.note.attachments.get()
    w.question = conversation_services.question_ask(assignment=w.assignment, user=assigned, body="场地在哪里？")
    w.info_item = conversation_services.info_request_create(
        application=w.in_review,
        user=staff,
        items=[conversation_services.ItemInput("成员签名名单", today + timedelta(days=7))],
    ).items.get()

    w.report_year = today.year - 1
    w.job = DocumentJob.objects.create(
        year=w.report_year,
        status=JobStatus.DONE,
        progress=100,
        file=ContentFile(b"%PDF-1.4 annual report", name="annual.pdf"),
        finished_at=now,
    )
    return w


# --- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One URL with one object. `see`: who gets `ok` for a GET; everyone else is refused (403, 404,
    405, or sent to a sign-in page or the admin's home with "no permission"). `post`: whose POST
    goes through (with `effect`, it must change something, proving the payload would work); others'
    POSTs are refused the same way and change nothing, except that `refused` roles pass the gate and
    are turned away by the service (a message, a redirect back), still changing nothing."""

    url: str
    build: Callable[[SimpleNamespace], dict]
    see: frozenset = NOBODY
    post: frozenset = NOBODY
    data: Callable[[SimpleNamespace], dict] | None = None
    effect: bool = False
    refused: frozenset = NOBODY
    ok: int = 200
    variant: str = ""
    leaks: Callable[[SimpleNamespace], list[str]] | None = None  # text that a 200 must not show

    def __post_init__(self):
        for name in ("see", "post", "refused"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))

    @property
    def id(self) -> str:
        return f"{self.url}[{self.variant}]" if self.variant else self.url


def _pk(attr):
    return lambda w: {"pk": getattr(w, attr).pk}


def _guess(_w) -> dict:
    return {"token": secrets.token_urlsafe(24)}


def _application_form(w) -> dict:
    lines = w.draft.budget_lines.order_by("pk")
    data = {
        "title": "改过的标题",
        "problem": w.draft.problem_id,
        "summary": "为老人供餐",
        "activities": "每周三次",
        "requested_amount": "10000.00",
        "own_contribution": "0",
        "matched_contribution": "0",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
        "milestones-TOTAL_FORMS": "0",
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "20",
    }
    for i, line in enumerate(lines):
        data.update(
            {
                f"lines-{i}-category": line.category,
                f"lines-{i}-item": line.item,
                f"lines-{i}-unit_cost": str(line.unit_cost),
                f"lines-{i}-quantity": str(line.quantity),
                f"lines-{i}-amount": str(line.amount),
            }
        )
    return data


def _group_form(w) -> dict:
    return {
        "name": "改名互助队",
        "group_type": w.group.group_type,
        "community": w.community.pk,
        "leader_name": "李四",
        "leader_phone": "13800000001",
        "member_count": "12",
        "member_list": "李四 1栋",
        "introduction": "",
        "credit_code": "",
    }


def _review_form(w) -> dict:
    data = {"recommendation": "fund", "comment_for_staff": "", "comment_for_group": ""}
    for criterion in w.in_review.call.criteria.all():
        data[f"points_{criterion.pk}"] = "8"
    return data


def _evaluation(_w) -> dict:
    return {"score": "80", "comment": "按计划", "decision": "accept"}


def _draft_hash(application) -> str:
    from grants.award.agreement import agreement_terms, terms_hash

    return terms_hash(agreement_terms(application, application.agreement_conditions))


def _today(w) -> str:
    return w.today.isoformat()


CASES: list[Case] = [
    # --- the owner's group and applications (grants/urls.py) ---
    Case(
        "grants:group_detail",
        _pk("group"),
        see={OWNER},
        post={OWNER},
        data=lambda w: {"email": "new@example.invalid"},
        effect=True,
    ),
    Case("grants:group_edit", _pk("group"), see={OWNER}, post={OWNER}, data=_group_form, effect=True),
    Case("grants:group_charter", _pk("group"), see={OWNER, STAFF}),
    # The invitation page names the group and who invited only to the person it was sent to (here:
    # the applicant's email), who alone can accept it; anyone else holding the link gets a 403
    # that names nothing, and their POST is turned away by the service.
    Case(
        "grants:invitation_accept",
        lambda w: {"token": w.invitation.token},
        see={APPLICANT},
        post={APPLICANT},
        effect=True,
        refused=SIGNED_IN - {APPLICANT},
        leaks=lambda w: [w.group.leader_phone, w.group.member_list.splitlines()[0]],
    ),
    Case("grants:invitation_accept", _guess, variant="guessed token"),
    # Only the group's leader cancels a pending invitation (POST only).
    Case("grants:invitation_cancel", _pk("invitation"), post={OWNER}, effect=True),
    # A published call is public; choosing someone else's group to apply with is refused.
    Case(
        "grants:call_apply",
        lambda w: {"slug": w.apply_call.slug},
        see=SIGNED_IN,
        post={OWNER},
        data=lambda w: {"group": w.group.pk},
        effect=True,
        refused=SIGNED_IN - {OWNER},
    ),
    Case(
        "grants:call_apply",
        lambda w: {"slug": w.hidden_call.slug},
        variant="unpublished",
        data=lambda w: {"group": w.group.pk},
    ),
    Case("grants:application_detail", _pk("draft"), see={OWNER}, post={OWNER}),
    Case("grants:application_edit", _pk("draft"), see={OWNER}, post={OWNER}, data=_application_form, effect=True),
    Case("grants:application_autosave", _pk("draft"), post={OWNER}, data=lambda w: {"title": "自动保存"}, effect=True),
    Case("grants:application_withdraw", _pk("draft"), post={OWNER}, data=lambda w: {"reason": "不做了"}, effect=True),
    Case(
        "grants:attachment_add",
        _pk("draft"),
        post={OWNER},
        data=lambda w: {"attachment-title": "预算", "attachment-file": pdf()},
        effect=True,
    ),
    Case("grants:attachment_download", _pk("draft_attachment"), see={OWNER, STAFF, FINANCE}),
    # A trustee reads the files of an application under review only through the review page,
    # which keeps identifying files back under blind review.
    Case(
        "grants:attachment_download",
        _pk("identifying_attachment"),
        see={OWNER, STAFF, FINANCE},
        variant="application the trustee reviews",
    ),
    # Staff may read attachments, so they pass the gate; the service keeps removal to the group.
    Case("grants:attachment_delete", _pk("draft_attachment"), post={OWNER}, effect=True, refused=FUND),
    Case("grants:agreement", _pk("project"), see={OWNER, STAFF, FINANCE}),
    Case("grants:agreement_pdf", _pk("project"), see={OWNER, STAFF, FINANCE}),
    # --- review ---
    Case("grants:review_detail", _pk("assignment"), see={ASSIGNED}, post={ASSIGNED}, data=_review_form, effect=True),
    Case("grants:review_detail", _pk("other_assignment"), data=_review_form, variant="another reviewer's assignment"),
    # A recused reviewer's own assignment: a page saying so; a POST changes nothing.
    Case(
        "grants:review_detail",
        _pk("recused_assignment"),
        see={ASSIGNED},
        data=_review_form,
        refused={ASSIGNED},
        variant="recused",
        leaks=lambda w: [w.screening.summary, w.group.name],
    ),
    Case(
        "grants:review_attachment",
        lambda w: {"pk": w.assignment.pk, "attachment_pk": w.review_attachment.pk},
        see={ASSIGNED},
    ),
    # The reviewer's own assignment with another application's attachment id.
    Case(
        "grants:review_attachment",
        lambda w: {"pk": w.assignment.pk, "attachment_pk": w.draft_attachment.pk},
        variant="another application's attachment",
    ),
    Case(
        "grants:review_attachment",
        lambda w: {"pk": w.assignment.pk, "attachment_pk": w.identifying_attachment.pk},
        variant="identifying file under blind review",
    ),
    # --- agreements and amendments ---
    # The draft agreement before signing: the group's members and the fund read it; only the
    # leader's POST confirms it (staff and finance pass the gate and are turned away by the service).
    Case(
        "grants:agreement",
        _pk("awarded"),
        see={OWNER, STAFF, FINANCE},
        post={OWNER},
        data=lambda w: {"terms_hash": _draft_hash(w.awarded)},
        effect=True,
        refused=FUND,
        variant="draft before signing",
    ),
    Case(
        "grants:amendment_new",
        _pk("project"),
        see={OWNER},
        post={OWNER},
        data=lambda w: {
            "kind": "extend",
            "final_due_on": (w.project.final_due_on + timedelta(days=30)).isoformat(),
            "why": "场地装修",
        },
        effect=True,
    ),
    Case("grants_admin:dossier_request", _pk("project"), post=FUND, effect=True),
    Case(
        "grants_admin:correction_new",
        _pk("project"),
        post={STAFF},
        data=lambda w: {
            "kind": "payment_date",
            "target": w.project.tranches.get(number=1).pk,
            "value": (w.today - timedelta(days=1)).isoformat(),
            "reason": "录错日期",
        },
        effect=True,
    ),
    Case("grants_admin:dossier_download", _pk("dossier"), see=FUND),
    Case(
        "grants_admin:eligibility_tick",
        _pk("screening"),
        post={STAFF},
        data=lambda w: {"item": w.call_check.pk, "ok": "yes", "note": "已核"},
        effect=True,
    ),
    Case(
        "grants_admin:amendment_start",
        _pk("project"),
        post={STAFF},
        data=lambda w: {"kind": "scope", "scope": "增加一次活动", "why": "居民要求"},
        effect=True,
    ),
    Case(
        "grants_admin:amendment_decide",
        _pk("amendment"),
        post={STAFF},
        data=lambda w: {"decision": "refuse", "reason": "不符合项目目标"},
        effect=True,
    ),
    Case("grants_admin:amendment_confirm", _pk("money_amendment"), post={FINANCE}, effect=True),
    Case(
        "grants_admin:agreement_conditions",
        _pk("awarded"),
        post={STAFF},
        data=lambda w: {"conditions": "每次活动后上传照片"},
        effect=True,
    ),
    # --- conversations (grants/conversation/) ---
    # The group's thread: its members read and write; a thread one does not belong to is a 404.
    Case(
        "grants:thread",
        _pk("in_review"),
        see={OWNER},
        post={OWNER},
        data=lambda w: {"body": "名单已上传", "nonce": "sec-1"},
        effect=True,
        leaks=lambda w: ["组长电话已核实", "场地在哪里"],
    ),
    Case("grants:message_file", _pk("message_file"), see={OWNER, STAFF}),
    Case("grants:message_file", _pk("note_file"), see={STAFF}, variant="internal note"),
    Case("grants:item_done", _pk("info_item"), post={OWNER}, effect=True),
    # Only the assigned reviewer asks, on their own assignment.
    Case(
        "grants:review_question",
        _pk("assignment"),
        post={ASSIGNED},
        data=lambda w: {"body": "预算为何这么高？", "nonce": "sec-q"},
        effect=True,
    ),
    Case("grants:review_question", _pk("other_assignment"), data=lambda w: {"body": "x"}, variant="another reviewer's"),
    # The objector's private page: its signed link is the authority; it never shows who objected.
    Case(
        "grants:objection_page",
        lambda w: {"token": w.objection.page_token()},
        see=EVERYONE,
        leaks=lambda w: [w.objection.name, w.objection.contact],
    ),
    Case("grants:objection_page", _guess, variant="guessed token"),
    # --- delivery (grants/delivery_views.py) ---
    Case("grants:project", _pk("project"), see={OWNER}, post={OWNER}),
    Case(
        "grants:activity_add",
        _pk("project"),
        see={OWNER},
        post={OWNER},
        data=lambda w: {
            "held_on": _today(w),
            "title": "读书会",
            "description": "十人",
            "participants": "10",
            "beneficiaries_reached": "10",
        },
        effect=True,
    ),
    Case(
        "grants:expense_add",
        _pk("project"),
        see={OWNER},
        post={OWNER},
        data=lambda w: {
            "budget_line": str(w.project.budget_lines.first().pk),
            "amount": "50.00",
            "spent_on": _today(w),
            "payee": "文具店",
            "receipt": pdf("r.pdf"),
        },
        effect=True,
    ),
    Case(
        "grants:report_submit",
        lambda w: {"pk": w.project.pk, "kind": "midterm"},
        see={OWNER},
        post={OWNER},
        data=lambda w: {"outcomes": "按计划", "beneficiaries_reached": "20"},
        effect=True,
    ),
    Case("grants:final_report_pdf", _pk("reporting"), see={OWNER, STAFF, FINANCE}),
    Case("grants:photo", _pk("photo"), see={OWNER, ASSIGNED, STAFF, FINANCE}),
    Case(
        "grants:photo", _pk("public_photo"), see={OWNER, STAFF, FINANCE}, variant="project the trustee did not review"
    ),
    Case("grants:receipt", _pk("expense"), see={OWNER, ASSIGNED, STAFF, FINANCE}),
    Case("grants:trustee_report", _pk("report"), see={ASSIGNED}, post={ASSIGNED}, data=_evaluation, effect=True),
    # Residents' feedback is public while a project is under way, and only then.
    Case("grants:feedback", _pk("project"), see=EVERYONE, post=EVERYONE, data=lambda w: {"rating": "5"}, effect=True),
    Case("grants:feedback", _pk("draft"), variant="not under way", data=lambda w: {"rating": "5"}),
    # The link emailed to an objector is its own authority; it shows nothing about the objector.
    Case(
        "grants:objection_confirm",
        lambda w: {"token": w.email_objection.confirm_token()},
        see=EVERYONE,
        post=EVERYONE,
        effect=True,
        leaks=lambda w: ["王五", "wang.wu@example.invalid", "有异议"],
    ),
    Case("grants:objection_confirm", _guess, variant="guessed token"),
    Case("grants:feedback_qr", _pk("project"), see=EVERYONE),
    Case("grants:feedback_qr", _pk("draft"), variant="not under way"),
    # --- public giving (cms/urls.py): a donation's token is its private link ---
    Case("language", lambda w: {"code": "en"}, see=EVERYONE, post=EVERYONE, ok=302),
    Case("donate_thanks", lambda w: {"token": w.donation.token}, see=EVERYONE, post=EVERYONE),
    Case("donate_thanks", _guess, variant="guessed token"),
    Case(
        "donate_cancel", lambda w: {"token": w.pending_donation.token}, see=EVERYONE, post=EVERYONE, effect=True, ok=302
    ),
    Case("donate_cancel", _guess, variant="guessed token"),
    Case("donation_acknowledgement", lambda w: {"token": w.donation.token}, see=EVERYONE, post=EVERYONE),
    Case("donation_acknowledgement", _guess, variant="guessed token"),
    Case("donation_acknowledgement_pdf", lambda w: {"token": w.donation.token}, see=EVERYONE, post=EVERYONE),
    Case("donation_acknowledgement_pdf", lambda w: {"token": w.pending_donation.token}, variant="not received"),
    Case("donation_acknowledgement_pdf", _guess, variant="guessed token"),
    Case("campaign", lambda w: {"slug": w.campaign.slug}, see=EVERYONE, post=EVERYONE),
    Case("campaign", lambda w: {"slug": "no-such-campaign"}, variant="unknown"),
    Case("outcome_photo", _pk("public_photo"), see=EVERYONE),
    Case("outcome_photo", _pk("photo"), variant="outcome not published"),
    Case("annual_report_pdf", lambda w: {"year": w.report_year}, see=EVERYONE),
    Case("annual_report_pdf", lambda w: {"year": w.report_year - 1}, variant="not published"),
    # --- staff pages in the admin (grants/admin_urls.py, reports/wagtail_hooks.py) ---
    Case("grants_admin:call_applications", _pk("call"), see=FUND, post=FUND),
    Case("grants_admin:call_results", _pk("call"), see=FUND, post=FUND),
    Case("grants_admin:call_conflicts", _pk("call"), see=FUND, post=FUND),
    Case(
        "grants_admin:call_export",
        lambda w: {"pk": w.call.pk, "kind": "expenses", "fmt": "xlsx"},
        see=FUND,
        leaks=lambda w: [],
    ),
    Case("grants_admin:call_results_pdf", _pk("call"), see=FUND, post=FUND),
    Case("grants_admin:call_autoassign", _pk("call"), post={STAFF}),
    Case(
        "grants_admin:thread",
        _pk("in_review"),
        see={STAFF},
        post={STAFF},
        data=lambda w: {"body": "收到", "kind": "note", "nonce": "sec-s"},
        effect=True,
    ),
    # Bulk actions: staff who screen; each step's own permission still applies, item by item.
    Case(
        "grants_admin:call_bulk",
        _pk("call"),
        post={STAFF},
        data=lambda w: {"action": "return", "applications": [w.screening.pk], "step": "run", "reason_all": "请补充"},
        effect=True,
    ),
    Case(
        "grants_admin:review_due",
        _pk("assignment"),
        post={STAFF},
        data=lambda w: {"due_on": (w.today + timedelta(days=9)).isoformat()},
        effect=True,
    ),
    Case(
        "grants_admin:info_request_new",
        _pk("in_review"),
        post={STAFF},
        data=lambda w: {"label": ["场地证明"], "due_on": [(w.today + timedelta(days=3)).isoformat()]},
        effect=True,
    ),
    Case(
        "grants_admin:question_relay",
        _pk("question"),
        post={STAFF},
        data=lambda w: {"body": "评审想知道场地在哪里", "nonce": "sec-r"},
        effect=True,
    ),
    Case("grants_admin:item_accept", _pk("info_item"), post={STAFF}, effect=True),
    Case(
        "grants_admin:item_again",
        _pk("info_item"),
        post={STAFF},
        data=lambda w: {"reason": "缺签名", "due_on": (w.today + timedelta(days=5)).isoformat()},
        effect=True,
    ),
    Case(
        "grants_admin:objection_reply",
        _pk("objection"),
        post={STAFF},
        data=lambda w: {"reply": "已核实，感谢监督"},
        effect=True,
    ),
    Case(
        "grants_admin:objection_resolve",
        _pk("objection"),
        post={STAFF},
        data=lambda w: {"decision": "dismiss", "reason": "查无实据"},
        effect=True,
    ),
    Case(
        "grants_admin:objection_verify",
        _pk("phone_objection"),
        post={STAFF},
        data=lambda w: {"code": w.phone_objection.phone_code()},
        effect=True,
    ),
    Case(
        "grants_admin:objections_dismiss",
        _pk("on_notice"),
        post={STAFF},
        data=lambda w: {"objections": [w.phone_objection.pk, w.email_objection.pk], "reason": "同一来源批量提交"},
        effect=True,
    ),
    Case("grants_admin:application", _pk("in_review"), see=FUND, post=FUND),
    Case(
        "grants_admin:application_step",
        lambda w: {"pk": w.in_review.pk, "name": "return_for_changes"},
        post={STAFF},
        data=lambda w: {"reason": "请补充预算说明"},
        effect=True,
        refused={FINANCE},
    ),
    Case(
        "grants_admin:application_reviewers",
        _pk("in_review"),
        post={STAFF},
        data=lambda w: {"reviewers": [w.users[REVIEWER].pk]},
        effect=True,
    ),
    Case(
        "grants_admin:review_reinstate",
        _pk("recused_assignment"),
        post={STAFF},
        data=lambda w: {"reason": "关系已核实，不构成冲突"},
        effect=True,
    ),
    Case(
        "grants_admin:group_filing",
        _pk("group"),
        see={STAFF},
        post={STAFF},
        data=lambda w: {"action": "file", "filing_number": "SEC-001", "filed_on": _today(w)},
        effect=True,
    ),
    # Staff open the project's page; paying is finance's, and the service says so.
    Case(
        "grants_admin:tranche_pay",
        _pk("tranche"),
        post={FINANCE},
        data=lambda w: {"payment_reference": "BANK-SEC-1"},
        effect=True,
    ),
    # Deciding expenses and moderating feedback are staff's; finance pays.
    Case(
        "grants_admin:expense_decide", _pk("expense"), post={STAFF}, data=lambda w: {"decision": "approve"}, effect=True
    ),
    Case("grants_admin:report_evaluate", _pk("report"), post={STAFF}, data=_evaluation, effect=True, refused={FINANCE}),
    Case(
        "grants_admin:recovery_receive",
        _pk("recovery"),
        post=FUND,
        data=lambda w: {"amount": "50.00", "received_on": _today(w), "reference": "RET-SEC-1"},
        effect=True,
    ),
    Case(
        "grants_admin:feedback_moderate",
        _pk("feedback"),
        post={STAFF},
        data=lambda w: {"decision": "approve"},
        effect=True,
    ),
    Case("reports_admin:download", _pk("job"), see={STAFF}),
    # --- the fund pool's admin screens (fundpool/wagtail_hooks.py) ---
    Case("inflow:inspect", _pk("inflow"), see=FUND),
    Case(
        "inflow:add_document",
        _pk("inflow"),
        see=FUND,
        post=FUND,
        data=lambda w: {"title": "回单", "file": pdf("slip.pdf")},
        effect=True,
    ),
    Case("inflow:document", _pk("inflow_document"), see=FUND),
    Case(
        "inflow:charge",
        _pk("inflow"),
        see={FINANCE},
        post={FINANCE},
        data=lambda w: {"kind": "fee", "amount": "1.00"},
        effect=True,
    ),
    Case("pledge:inspect", _pk("pledge"), see=FUND),
    Case(
        "pledge:receive",
        _pk("pledge"),
        see=FUND,
        post=FUND,
        data=lambda w: {"amount": "1000.00", "received_on": _today(w)},
        effect=True,
    ),
    Case("pledge:cancel", _pk("pledge"), see=FUND, post=FUND, data=lambda w: {"reason": "对方撤回"}, effect=True),
    Case("commitment:inspect", _pk("commitment"), see=FUND),
    Case("journalentry:inspect", _pk("entry"), see=FUND),
    Case(
        "journalentry:reverse",
        _pk("entry"),
        see={FINANCE},
        post={FINANCE},
        data=lambda w: {"reason": "录错"},
        effect=True,
    ),
    Case("ledger-account:inspect", _pk("account"), see=FUND),
    Case("donation:inspect", _pk("donation"), see=FUND),
    Case("donation:receipt", _pk("donation"), see=FUND, post=FUND, data=lambda w: {"number": "PJ-SEC-1"}, effect=True),
    Case("importbatch:inspect", _pk("import_batch"), see=FUND),
    Case("stripeevent:inspect", _pk("stripe_event"), see={FINANCE}),
]


def _viewset(prefix: str, attr: str, see: dict[str, frozenset], form=None) -> list[Case]:
    """Wagtail's generic views over one of our models: edit and copy take a POST from whoever may
    open them (edit with a valid form must save); delete takes one from nobody in these roles."""
    out = []
    for view, roles in see.items():
        posts = view in ("edit", "copy", "delete")
        out.append(
            Case(
                f"{prefix}:{view}",
                _pk(attr),
                see=roles,
                post=roles if posts else NOBODY,
                data=form if posts and form else None,
                effect=view == "edit" and form is not None,
            )
        )
    return out


def _reference(view_roles: frozenset, inspect: frozenset | None = None) -> dict[str, frozenset]:
    views = {
        "edit": view_roles,
        "delete": NOBODY,
        "history": view_roles,
        "history_results": view_roles,
        "usage": view_roles,
        "copy": view_roles,
    }
    if inspect is not None:
        views["inspect"] = inspect
    return views


CASES += [
    *_viewset("call", "call", _reference({STAFF}, inspect={STAFF})),
    *_viewset(
        "residentgroup",
        "group",
        {**_reference({STAFF}, inspect={STAFF}), "copy": NOBODY},
        form=_group_form,
    ),
    *_viewset(
        "priorityproblem",
        "problem",
        _reference({STAFF}),
        form=lambda w: {
            "title": "改过的问题",
            "description": "",
            "theme": w.theme.pk,
            "community": "",
            "survey_year": "2026",
            "rank": "1",
        },
    ),
    *_viewset(
        "community",
        "community",
        _reference({STAFF}),
        form=lambda w: {"sub_district": w.subdistrict.pk, "name": "改名社区", "code": w.community.code},
    ),
    *_viewset(
        "subdistrict",
        "subdistrict",
        _reference({STAFF}),
        form=lambda w: {"name": "改名街道", "city": "", "district": ""},
    ),
    *_viewset(
        "funder",
        "funder",
        _reference({STAFF}, inspect=FUND),
        form=lambda w: {
            "name": "改名资助方",
            "source_type": "government",
            "contact_name": "",
            "contact_phone": "",
            "notes": "",
        },
    ),
    *_viewset(
        "theme", "theme", _reference({STAFF}), form=lambda w: {"code": w.theme.code, "name": "改名主题", "name_en": ""}
    ),
    *_viewset(
        "campaign",
        "campaign",
        _reference({STAFF}),
        form=lambda w: {
            "title": "改名筹款",
            "slug": w.campaign.slug,
            "description": "",
            "goal": "2000.00",
            "restriction_kind": "unrestricted",
            "starts_on": w.campaign.starts_on.isoformat(),
            "active": "on",
        },
    ),
]


# Wagtail's user screens (cms/users.py): staff look after accounts without a fund role and their
# own; a fund role's account is a superuser's to open. Finance has no user screens.
CASES += [
    Case("wagtailusers_users:edit", lambda w: {"pk": w.users[APPLICANT].pk}, see={STAFF}, post={STAFF}),
    Case("wagtailusers_users:edit", lambda w: {"pk": w.users[STAFF].pk}, see={STAFF}, post={STAFF}, variant="own"),
    Case("wagtailusers_users:edit", lambda w: {"pk": w.users[FINANCE].pk}, variant="a fund role's account"),
    Case("wagtailusers_users:delete", lambda w: {"pk": w.users[APPLICANT].pk}),
]


# --- telling outcomes apart ---------------------------------------------------------------------


def refusal(response) -> bool:
    """403, 404, 405, or a redirect to a sign-in page or to the admin's home ("no permission")."""
    from urllib.parse import urlsplit

    from django.urls import reverse

    if response.status_code in (403, 404, 405):
        return True
    if response.status_code == 302:
        path = urlsplit(response["Location"]).path
        return path in (reverse("account_login"), reverse("wagtailadmin_login"), reverse("wagtailadmin_home"))
    return False


_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


def _our_models():
    from django.apps import apps

    for label in OUR_APPS[1:]:
        for model in apps.get_app_config(label).get_models():
            if not model._meta.proxy and model._meta.managed:
                yield model


def written_tables(queries) -> set[str]:
    """The project's own tables that a request wrote to (when there are none, nothing changed)."""
    ours = {m._meta.db_table for model in _our_models() for m in (model, *model._meta.get_parent_list())}
    return {m.group(1) for q in queries if (m := _WRITE.match(q["sql"]))} & ours


def snapshot() -> dict:
    """Every row of the project's own tables."""
    return {model._meta.label: list(model._base_manager.order_by("pk").values_list()) for model in _our_models()}
