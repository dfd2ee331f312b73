"""Demo grants: the sub-district and its communities, priority problems, resident groups (filed,
waiting, returned, one registered organisation), two calls, and applications in every state of
the lifecycle, each brought there through the services as staff and groups would."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from fundpool.models import Theme
from grants import transitions
from grants.applications import services as application_services
from grants.applications.services import LineInput, MilestoneInput
from grants.award import services as award_services
from grants.delivery import feedback as delivery_feedback
from grants.delivery import services as delivery_services
from grants.groups import services as group_services
from grants.lifecycle import Status
from grants.models import (
    Application,
    Call,
    CallCriterion,
    CallTranche,
    Community,
    GroupMembership,
    PriorityProblem,
    ResidentGroup,
    SubDistrict,
)
from grants.review import services as review_services
from grants.validators import credit_code_check_char

SUB_DISTRICT = ("翠湖街道", "江州市", "明湖区")


COMMUNITIES = [
    ("cuihu", "翠湖社区"),
    ("wutong", "梧桐社区"),
    ("binjiang", "滨江社区"),
    ("huayuan", "花园社区"),
    ("xincun", "新村社区"),
]


PROBLEMS = [
    ("elderly", "独居和高龄老人缺少日常照护与陪伴", 1),
    ("safety", "老旧小区夜间照明差、电动车充电隐患多", 2),
    ("environment", "河道沿岸垃圾和楼道堆物问题反复出现", 3),
    ("youth", "双职工家庭儿童放学后无人看护", 4),
    ("mutual-aid", "新老居民互不相识、邻里互助少", 5),
    ("culture", "社区文化活动少、参与面窄", 6),
]


GROUPS = [
    # name, type, community, filing
    ("银发互助队", "mutual_aid", "cuihu", "filed"),
    ("河道守护志愿队", "volunteer", "binjiang", "filed"),
    ("梧桐夜巡队", "volunteer", "wutong", "filed"),
    ("四点半课堂妈妈团", "interest", "huayuan", "filed"),
    ("新村邻里厨房", "mutual_aid", "xincun", "filed"),
    ("翠湖合唱团", "interest", "cuihu", "filed"),
    ("花园楼道自治角", "interest", "huayuan", "pending"),
    ("滨江广场舞队", "interest", "binjiang", "returned"),
]


PROJECT_TITLES = {
    "elderly": "长者助餐与探访计划",
    "safety": "楼道照明与安全充电改造",
    "environment": "河道清洁与分类宣传",
    "youth": "四点半课堂",
    "mutual-aid": "邻里互助时间银行",
    "culture": "社区合唱节",
}


# Each target state and the steps that lead there from a submitted application.
PATHS = {
    Status.DRAFT: [],
    Status.SUBMITTED: ["submit"],
    Status.RETURNED: ["submit", "return_for_changes"],
    Status.INELIGIBLE: ["submit", "reject_eligibility"],
    Status.IN_REVIEW: ["submit", "start_review"],
    Status.REVIEWED: ["submit", "start_review", "close_review"],
    Status.DECLINED: ["submit", "start_review", "close_review", "decline"],
    Status.ON_NOTICE: ["submit", "start_review", "close_review", "propose_award"],
    Status.AWARDED: ["submit", "start_review", "close_review", "propose_award", "confirm_award"],
    Status.IN_DELIVERY: ["submit", "start_review", "close_review", "propose_award", "confirm_award", "sign_agreement"],
    # Reports are written and evaluated through the delivery services (see _deliver).
    Status.REPORTING: ["submit", "start_review", "close_review", "propose_award", "confirm_award", "sign_agreement"],
    Status.COMPLETED: ["submit", "start_review", "close_review", "propose_award", "confirm_award", "sign_agreement"],
    Status.TERMINATED: [
        "submit",
        "start_review",
        "close_review",
        "propose_award",
        "confirm_award",
        "sign_agreement",
        "terminate",
    ],
    Status.WITHDRAWN: ["submit", "withdraw"],
}


REASONS = {
    "propose_award": "评审排名靠前，建议资助。",
    "return_for_changes": "请补充预算明细和活动场地说明。",
    "reject_eligibility": "申报主体不在本批次服务社区范围内。",
    "decline": "评审认为项目与社区重点问题关联不足。",
    "terminate": "团队负责人搬离社区，项目无法继续。",
    "withdraw": "团队决定下一批次再申报。",
}


def seed_places() -> list[Community]:
    name, city, district = SUB_DISTRICT
    sub, _ = SubDistrict.objects.get_or_create(name=name, defaults={"city": city, "district": district})
    return [
        Community.objects.get_or_create(code=code, defaults={"sub_district": sub, "name": label})[0]
        for code, label in COMMUNITIES
    ]


def _demo_user(username: str, email: str):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    if created:
        user.set_unusable_password()
        user.save()
    return user


def _verified(user) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})


@transaction.atomic
def seed_grants(*, seed: int = 2026, applicant=None, staff=None, reviewers=(), conflicted=None, decider=None) -> dict:
    """`decider` proposes the awards and `staff` takes the other steps: under the four-eyes rule
    whoever proposed an award does not record its agreement, which pays the first tranche, nor
    accept its final report (docs/delivery.md)."""
    if Application.objects.exists():
        return {"applications": 0}
    rng = random.Random(seed)
    now = timezone.now()
    communities = {c.code: c for c in seed_places()}
    themes = {t.code: t for t in Theme.objects.all()}
    problems = {
        code: PriorityProblem.objects.get_or_create(
            title=title, survey_year=2026, defaults={"theme": themes[code], "rank": rank}
        )[0]
        for code, title, rank in PROBLEMS
        if code in themes
    }

    leaders = [applicant] + [
        _demo_user(f"group-leader-{i}", f"leader{i}@demo.invalid") for i in range(1, len(GROUPS) + 1)
    ]
    groups = []
    for i, (name, group_type, community, filing) in enumerate(GROUPS):
        leader = leaders[i] if leaders[i] is not None else leaders[i + 1]
        _verified(leader)
        group = ResidentGroup.objects.create(
            name=name,
            group_type=group_type,
            community=communities[community],
            leader_name=rng.choice(["王芳", "李强", "张敏", "陈静", "刘洋", "赵磊"]),
            leader_phone=f"138{rng.randrange(10**7, 10**8)}",
            member_count=rng.randrange(10, 40),
            member_list="\n".join(f"成员{j} {rng.randrange(1, 20)}栋" for j in range(1, 6)),
            introduction=f"{name}由{COMMUNITIES[[c for c, _n in COMMUNITIES].index(community)][1]}居民自发组成。",
            created_by=leader,
        )
        GroupMembership.objects.create(group=group, user=leader, role="leader")
        if filing == "filed":
            group_services.group_file(
                group=group,
                filing_number=f"CH-BA-2026-{i + 1:03d}",
                filed_on=timezone.localdate() - timedelta(days=60 - i),
                actor=staff,
            )
        elif filing == "returned":
            group_services.group_return(group=group, reason="请补充成员名单和团队章程。", actor=staff)
        groups.append(group)
    body = "52440300MJ000" + "0001"
    ResidentGroup.objects.create(
        name="翠湖社区社会工作服务中心",
        group_type="registered",
        community=communities["cuihu"],
        leader_name="孙丽",
        leader_phone="13812345678",
        member_count=12,
        member_list="专职社工 12 名",
        credit_code=body + credit_code_check_char(body),
        created_by=staff,
        filing_status="not_required",
        introduction="在民政部门登记注册的社会工作服务机构。",
    )

    main = _call(
        "2026年翠湖街道社区微创投（第一批）",
        "2026-cuihu-1",
        now - timedelta(days=15),
        now + timedelta(days=15),
        problems.values(),
        reviewers=2,
    )
    # This round lets a group send several projects (a call setting; the default is one per
    # group), so staff see at screening which groups applied more than once.
    Call.objects.filter(pk=main.pk).update(
        capacity_building_amount=Decimal("1000.00"), allow_multiple_applications=True
    )
    main.refresh_from_db()
    special = _call(
        "2026年为老服务专项",
        "2026-elderly",
        now - timedelta(days=20),
        now + timedelta(days=10),
        [problems["elderly"]] if "elderly" in problems else [],
        reviewers=2,
    )

    # Projects now under way or finished went through an earlier round, which closed long ago.
    earlier = _call(
        "2026年翠湖街道社区微创投（春季批）",
        "2026-cuihu-spring",
        now - timedelta(days=15),
        now + timedelta(days=15),
        problems.values(),
        reviewers=2,
    )

    made = 0
    order = list(PATHS)
    filed = list(ResidentGroup.objects.filter(pk__in=[g.pk for g in groups], filing_status="filed").order_by("pk"))
    if conflicted is not None:
        # This reviewer is related to one group (never assigned to it) and recuses from another.
        review_services.reviewer_profile_update(
            user=conflicted, related_groups=[filed[-1]], related_parties="合唱团团长是我的邻居。"
        )
    for i, state in enumerate(order):
        stage = DELIVERY_STAGES.get(state)
        # The earlier round takes one application per group; the first group's place in it is
        # kept for the demo applicant's project below.
        group = filed[1 + i % (len(filed) - 1)] if stage else filed[i % len(filed)]
        call = earlier if stage else main
        theme = list(PROJECT_TITLES)[i % len(PROJECT_TITLES)]
        signed_on = timezone.localdate() - timedelta(days=SIGNED_DAYS_AGO[stage]) if stage else None
        application = _application(
            call, group, problems.get(theme), f"{PROJECT_TITLES[theme]}（{group.name}）", rng, start=signed_on
        )
        panel = list(reviewers)
        if state == Status.ON_NOTICE and conflicted is not None and group != filed[-1]:
            panel.append(conflicted)
        _walk(
            application,
            PATHS[state],
            (decider, staff),
            panel,
            rng,
            recusing=conflicted,
            signed_on=signed_on,
            after_signing=(lambda a, stage=stage: _deliver(a, stage=stage, staff=staff, rng=rng)) if stage else None,
        )
        made += 1
    # The demo applicant's own group has a project under way too, with a line beyond its tolerance.
    signed_on = timezone.localdate() - timedelta(days=SIGNED_DAYS_AGO["overspent"])
    extra = _application(
        earlier,
        filed[0],
        problems.get("mutual-aid"),
        f"{PROJECT_TITLES['mutual-aid']}（{filed[0].name}）",
        rng,
        start=signed_on,
    )
    _walk(
        extra,
        PATHS[Status.IN_DELIVERY],
        (decider, staff),
        list(reviewers),
        rng,
        signed_on=signed_on,
        after_signing=lambda a: _deliver(a, stage="overspent", staff=staff, rng=rng),
    )
    made += 1
    # A second award on public notice, whose notice (shortened for the demo) ends a few minutes
    # after the demo is loaded: under `make run` the worker's schedule confirms it by itself.
    soon = _application(main, filed[3], problems.get("youth"), f"{PROJECT_TITLES['youth']}（{filed[3].name}）", rng)
    _walk(soon, PATHS[Status.ON_NOTICE], (decider, staff), list(reviewers), rng)
    Application.objects.filter(pk=soon.pk).update(notice_ends_at=timezone.now() + timedelta(minutes=3))
    made += 1
    on_notice = Application.objects.filter(status=Status.ON_NOTICE).exclude(pk=soon.pk).order_by("pk").first()
    if on_notice is not None:
        filed = award_services.objection_submit(
            application=on_notice,
            name="周晓梅",
            contact="13500000000",
            text="该团队去年的活动经费使用情况没有公开，建议核实后再立项。",
        )
        # Staff phoned her and were told the code she was shown: the objection holds up the award.
        award_services.objection_verify(objection=filed.objection, actor=staff, code=filed.code)
    # The special call has since closed: its window ended before today.
    Call.objects.filter(pk=special.pk).update(opens_at=now - timedelta(days=90), closes_at=now - timedelta(days=30))
    Call.objects.filter(pk=earlier.pk).update(opens_at=now - timedelta(days=300), closes_at=now - timedelta(days=260))
    return {"applications": made}


def _call(title, slug, opens, closes, problems, *, reviewers) -> Call:
    call = Call.objects.create(
        title=title,
        slug=slug,
        description="面向翠湖街道居民团队，支持回应社区重点问题的微创投项目。",
        budget=Decimal("300000.00"),
        min_amount=Decimal("2000.00"),
        max_amount=Decimal("20000.00"),
        opens_at=opens,
        closes_at=closes,
        tracks=["filed", "registered"],
        reviewers_per_application=reviewers,
        notice_days=7,
        published=True,
    )
    call.problems.set(list(problems))
    for i, (name, weight) in enumerate(
        [("社区需求", 25), ("居民参与", 20), ("可行性", 20), ("预算合理性", 15), ("可持续性", 10), ("创新性", 10)]
    ):
        CallCriterion.objects.create(call=call, name=name, max_points=10, weight=weight, sort_order=i)
    CallTranche.objects.create(call=call, share=60, trigger="signing", sort_order=0)
    CallTranche.objects.create(call=call, share=40, trigger="final", sort_order=1)
    return call


def _application(call, group, problem, title, rng, start=None) -> Application:
    leader = group.memberships.get(role="leader").user
    application = application_services.application_start(call=call, group=group, user=leader)
    unit = Decimal(rng.choice([20, 30, 50]))
    qty = Decimal(rng.choice([100, 150, 200]))
    lines = [
        LineInput("materials", "活动物资", unit, qty, unit * qty),
        LineInput("publicity", "宣传海报与横幅", Decimal("300.00"), Decimal("2"), Decimal("600.00")),
    ]
    total = sum((line.amount for line in lines), Decimal(0))
    application_services.application_save_draft(
        application=application,
        user=leader,
        fields={
            "title": title[:120],
            "summary": "回应社区重点问题，由居民自己组织、自己参与。",
            "problem": problem,
            "activities": "每月两次集中活动，日常结对服务。",
            "beneficiaries": "本社区居民",
            "beneficiary_count": rng.randrange(30, 200),
            "team": "负责人及骨干成员 5 人",
            "own_contribution": Decimal("500.00"),
            "matched_contribution": Decimal("0.00"),
            "requested_amount": total,
        },
        lines=lines,
        milestones=[
            MilestoneInput("启动活动", (start or timezone.localdate()) + timedelta(days=30)),
            MilestoneInput("中期回顾", (start or timezone.localdate()) + timedelta(days=120)),
        ],
    )
    return application


def _score(application, reviewers, rng) -> None:
    """Each assigned reviewer declares no conflict and hands in a scored review; the last one in
    closes the review by itself."""
    criteria = list(application.call.criteria.all())
    for assignment in application.review_assignments.filter(recused=False).select_related("reviewer"):
        if not assignment.declared_at:
            review_services.review_declare(assignment=assignment, user=assignment.reviewer, conflict=False)
        scores = [review_services.ScoreInput(c.pk, Decimal(rng.randrange(5, c.max_points + 1))) for c in criteria]
        review_services.review_save(
            assignment=assignment,
            user=assignment.reviewer,
            scores=scores,
            recommendation=rng.choice(["fund", "fund_with_changes"]),
            comment_for_staff="预算基本合理。",
            comment_for_group="建议细化活动安排。",
            submit=True,
        )


def _walk(application, steps, people, reviewers, rng=None, recusing=None, signed_on=None, after_signing=None) -> None:
    decider, staff = people
    rng = rng or random.Random(0)
    leader = application.group.memberships.get(role="leader").user
    for step in steps:
        if step == "close_review":
            _score(application, reviewers, rng)
            application = Application.objects.get(pk=application.pk)
            if application.status == Status.REVIEWED:
                continue
        if step == "start_review":
            review_services.review_assign(application=application, reviewers=list(reviewers), actor=staff)
            if recusing is not None:
                for assignment in application.review_assignments.filter(reviewer=recusing):
                    review_services.review_declare(
                        assignment=assignment, user=recusing, conflict=True, note="与该团队负责人是亲属。"
                    )
        if step == "confirm_award":
            # The public notice has run its course (demo data skips the week).
            Application.objects.filter(pk=application.pk).update(notice_ends_at=timezone.now() - timedelta(minutes=1))
        by = leader if step in ("submit", "submit_final_report", "withdraw") else staff
        if step == "propose_award":
            by = decider or staff
        params = {"amount": application.requested_amount} if step == "propose_award" else {}
        if step == "sign_agreement" and signed_on is not None:
            params = {"signed_on": signed_on, "conditions": "资金专款专用；每次活动留存签到表和照片。"}
        application = transitions.application_transition(
            application=application, name=step, user=by, reason=REASONS.get(step, ""), **params
        )
        if step == "confirm_award" and signed_on is not None:
            # Demo history is compressed into today: the award was confirmed a week before signing.
            confirmed = timezone.make_aware(datetime.combine(signed_on - timedelta(days=7), time(10)))
            Application.objects.filter(pk=application.pk).update(awarded_at=confirmed)
            application = Application.objects.get(pk=application.pk)
        if step == "sign_agreement" and after_signing is not None:
            after_signing(application)
            application = Application.objects.get(pk=application.pk)


# How far along each demo project is: signed this many days ago.
DELIVERY_STAGES = {
    Status.IN_DELIVERY: "overdue",
    Status.REPORTING: "reporting",
    Status.COMPLETED: "completed",
    Status.TERMINATED: "terminated",
}


SIGNED_DAYS_AGO = {"overdue": 100, "overspent": 45, "reporting": 170, "completed": 200, "terminated": 60}


ACTIVITIES = [
    ("启动会与居民需求座谈", "在社区活动室召开启动会，居民代表讨论活动安排。"),
    ("第一次集中活动", "骨干成员带领居民开展活动，现场登记参与人员。"),
    ("入户走访", "志愿者两人一组上门走访，了解居民需要。"),
    ("月度回顾会", "团队回顾本月活动，调整下月计划。"),
]


FEEDBACK = [(5, "活动组织得很好，老人们都很开心。"), (4, "希望周末也能有活动。"), (5, "志愿者很耐心。"), (3, "")]


def _demo_pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    return SimpleUploadedFile("receipt.pdf", body, content_type="application/pdf")


def _demo_photo(rng):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 600), (rng.randrange(120, 220), rng.randrange(150, 230), rng.randrange(120, 200)))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(0, 700), rng.randrange(0, 500)
        draw.ellipse((x, y, x + 90, y + 90), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return SimpleUploadedFile("activity.jpg", out.getvalue(), content_type="image/jpeg")


def _deliver(application, *, stage: str, staff, rng) -> None:
    """Activities, expenses, reports and feedback, as the group and staff would record them."""
    from grants.models import ReportKind

    leader = application.group.memberships.get(role="leader").user
    signed = application.agreement.signed_on
    today = timezone.localdate()
    lines = list(application.budget_lines.all())
    span = (today - signed).days
    # Activities early in the project; the overdue project has gone quiet since.
    quiet = stage == "overdue"
    for k, (title, text) in enumerate(ACTIVITIES[: 2 if quiet else 4]):
        delivery_services.activity_record(
            application=application,
            user=leader,
            held_on=signed + timedelta(days=min(span, 5 + k * (10 if quiet else max(span // 5, 1)))),
            title=title,
            description=text,
            participants=rng.randrange(8, 30),
            beneficiaries_reached=rng.randrange(15, 60),
            photos=[_demo_photo(rng)],
        )
    share = {"overdue": Decimal("0.2"), "overspent": Decimal("0.5"), "terminated": Decimal("0.3")}.get(
        stage, Decimal("0.9")
    )
    materials = (lines[0].amount * share).quantize(Decimal("1."))
    for part, payee in ((materials * 2 / 3, "社区便民超市"), (materials / 3, "文体用品店")):
        delivery_services.expense_record(
            application=application,
            user=leader,
            budget_line=lines[0],
            amount=part.quantize(Decimal("0.01")),
            spent_on=signed + timedelta(days=min(span, 6)),
            payee=payee,
            description="活动物资采购",
            receipt=_demo_pdf(),
        )
    publicity = lines[1]
    if stage == "overspent":
        # Printing cost more than planned: beyond the line's 10% tolerance, awaiting staff.
        delivery_services.expense_record(
            application=application,
            user=leader,
            budget_line=publicity,
            amount=publicity.amount + Decimal("150.00"),
            spent_on=today - timedelta(days=3),
            payee="快印广告店",
            description="横幅和海报加印",
            receipt=_demo_pdf(),
            over_tolerance_reason="居民要求在每栋楼张贴海报，加印了一批。",
        )
    elif stage in ("reporting", "completed"):
        delivery_services.expense_record(
            application=application,
            user=leader,
            budget_line=publicity,
            amount=publicity.amount,
            spent_on=signed + timedelta(days=10),
            payee="快印广告店",
            receipt=_demo_pdf(),
        )
    if stage in ("reporting", "completed"):
        mid = delivery_services.report_submit(
            application=application,
            user=leader,
            kind=ReportKind.MIDTERM,
            outcomes="按计划完成前半程活动，参与居民稳定。",
            beneficiaries_reached=80,
            story="一位独居老人第一次走出家门参加活动。",
            lessons="活动通知要提前三天张贴。",
        )
        delivery_services.report_evaluate(report=mid, actor=staff, score="82", comment="进展良好。", accept=True)
        final = delivery_services.report_submit(
            application=application,
            user=leader,
            kind=ReportKind.FINAL,
            outcomes="全部活动按计划完成，建立了 20 人的志愿者骨干队伍。",
            beneficiaries_reached=160,
            story="项目结束后，居民自发约定每月继续聚一次。",
            lessons="志愿者排班和物资管理要有专人负责。",
        )
        if stage == "completed":
            delivery_services.report_evaluate(
                report=final, actor=staff, score="88", comment="成效明显，同意结项。", accept=True
            )
    if stage in ("overdue", "overspent", "completed", "reporting"):
        for n, (rating, comment) in enumerate(FEEDBACK):
            item = delivery_feedback.feedback_submit(
                application=application, rating=rating, comment=comment, source=f"demo-{application.pk}-{n}"
            )
            if comment:
                delivery_feedback.feedback_moderate(feedback=item, actor=staff, approve=n != 1)
