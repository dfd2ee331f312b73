import factory
from django.contrib.auth import get_user_model

from fundpool.models import Funder, SourceType, Theme


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    password = factory.django.Password("pass-word-123")


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"theme-{n}")
    name = factory.Sequence(lambda n: f"主题{n}")


class FunderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Funder

    name = factory.Sequence(lambda n: f"资助方{n}")
    source_type = SourceType.GOVERNMENT


# --- grants -----------------------------------------------------------------------------------

from datetime import timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.utils import timezone  # noqa: E402

from grants.models import (  # noqa: E402
    Application,
    BudgetLine,
    Call,
    CallCriterion,
    CallTranche,
    Community,
    GroupMembership,
    Milestone,
    PriorityProblem,
    ResidentGroup,
    SubDistrict,
)


class SubDistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubDistrict
        django_get_or_create = ("name",)

    name = "翠湖街道"


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community
        django_get_or_create = ("code",)

    sub_district = factory.SubFactory(SubDistrictFactory)
    code = factory.Sequence(lambda n: f"community-{n}")
    name = factory.Sequence(lambda n: f"社区{n}")


class ProblemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriorityProblem

    title = factory.Sequence(lambda n: f"独居老人缺少照护 {n}")
    theme = factory.SubFactory(ThemeFactory, code="elderly", name="为老服务")
    survey_year = 2026
    rank = factory.Sequence(lambda n: n + 1)


class CallFactory(factory.django.DjangoModelFactory):
    """An open call, funding ¥2,000–¥20,000, 2 reviewers, 60/40 tranches, 7-day notice."""

    class Meta:
        model = Call
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"2026年社区微创投第{n}批")
    slug = factory.Sequence(lambda n: f"call-{n}")
    budget = Decimal("200000.00")
    min_amount = Decimal("2000.00")
    max_amount = Decimal("20000.00")
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=20))
    reviewers_per_application = 2
    notice_days = 7
    published = True

    @factory.post_generation
    def setup(self, create, extracted, **kwargs):
        if not create:
            return
        for i, (name, weight) in enumerate(
            [("需求", 25), ("参与", 20), ("可行性", 20), ("预算", 15), ("持续性", 10), ("创新", 10)]
        ):
            CallCriterion.objects.create(call=self, name=name, max_points=10, weight=weight, sort_order=i)
        CallTranche.objects.create(call=self, share=60, trigger="signing", sort_order=0)
        CallTranche.objects.create(call=self, share=40, trigger="final", sort_order=1)


class GroupFactory(factory.django.DjangoModelFactory):
    """A filed resident group with a leader account."""

    class Meta:
        model = ResidentGroup
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"邻里互助队{n}")
    group_type = "mutual_aid"
    community = factory.SubFactory(CommunityFactory)
    leader_name = "王芳"
    leader_phone = "13800000000"
    member_count = 12
    member_list = "王芳 1栋\n李强 2栋\n张敏 3栋"
    filing_status = "filed"
    filing_number = factory.Sequence(lambda n: f"CH-2026-{n:03d}")
    filed_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))

    @factory.post_generation
    def leader(self, create, extracted, **kwargs):
        if not create:
            return
        user = extracted or UserFactory()
        GroupMembership.objects.create(group=self, user=user, role="leader")


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A complete draft: everything filled in, ¥10,000 in two budget lines, two milestones."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    call = factory.SubFactory(CallFactory)
    group = factory.SubFactory(GroupFactory)
    title = factory.Sequence(lambda n: f"长者助餐点{n}")
    summary = "为独居老人提供每周三次午餐。"
    problem = factory.SubFactory(ProblemFactory)
    activities = "每周一、三、五中午在活动室供餐。"
    beneficiaries = "社区独居老人"
    beneficiary_count = 40
    team = "王芳（负责人）、李强、张敏"
    requested_amount = Decimal("10000.00")

    @factory.post_generation
    def lines(self, create, extracted, **kwargs):
        if not create:
            return
        BudgetLine.objects.create(
            application=self,
            category="food",
            item="午餐食材",
            unit_cost=Decimal("20.00"),
            quantity=Decimal("400"),
            amount=Decimal("8000.00"),
        )
        BudgetLine.objects.create(
            application=self,
            category="materials",
            item="餐具",
            unit_cost=Decimal("100.00"),
            quantity=Decimal("20"),
            amount=Decimal("2000.00"),
        )
        Milestone.objects.create(application=self, title="开始供餐", due_on=timezone.localdate() + timedelta(days=60))
        Milestone.objects.create(application=self, title="中期回顾", due_on=timezone.localdate() + timedelta(days=150))
        if self.call.problems.exists() is False and self.problem_id:
            self.call.problems.add(self.problem)
