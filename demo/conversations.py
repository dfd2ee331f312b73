"""Demo conversations: the demo group's project has a request for information open and a
question of its own waiting for staff; a reviewer has a question for another group, for staff to
pass on. So the work queue, the dashboard and both sides of a thread have something to show."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from grants.conversation import services as conversation_services
from grants.lifecycle import Status
from grants.models import Application, ReviewAssignment


def seed_conversations(*, applicant, staff) -> int:
    today = timezone.localdate()
    made = 0
    own = (
        Application.objects.filter(group__memberships__user=applicant, status=Status.IN_DELIVERY).order_by("pk").first()
    )
    if own is not None:
        conversation_services.info_request_create(
            application=own,
            user=staff,
            items=[
                conversation_services.ItemInput("第二次活动的签到表（拍照或扫描）", today + timedelta(days=3)),
                conversation_services.ItemInput("超支预算行的说明", today + timedelta(days=7)),
            ],
            note="收到后我们会尽快审核，谢谢配合。",
        )
        conversation_services.message_send(
            application=own, user=staff, body="内部：该组上次报告逾期两天，留意按时提交。", as_fund=True, internal=True
        )
        conversation_services.message_send(
            application=own,
            user=applicant,
            body="你好，请问签到表需要每位参加者本人签字吗？有几位老人不方便写字。",
            as_fund=False,
        )
        made += 1
    assignment = (
        ReviewAssignment.objects.filter(application__status=Status.IN_REVIEW, recused=False)
        .select_related("reviewer", "application")
        .order_by("pk")
        .first()
    )
    if assignment is not None:
        conversation_services.question_ask(
            assignment=assignment, user=assignment.reviewer, body="预算中的场地费是每次活动的费用还是全年的？"
        )
        made += 1
    return made
