"""The application lifecycle, declared once: the states (states.py), who and when (rules.py), the
table of steps with their effects (steps.py), the state machine built from it (machine.py) and
the diagram drawn from it (diagram.py). Running a step is grants/transitions.py. Keep the word
"workflow" for Wagtail's page moderation."""

from .machine import ApplicationLifecycle  # noqa: F401
from .rules import as_of, now, settlement_conflict, signing_conflict  # noqa: F401
from .states import (  # noqa: F401
    BEFORE_DELIVERY,
    CHOICES,
    DELIVERY_STATES,
    HOLDING_MONEY,
    SET_ASIDE,
    STATE,
    STATES,
    StateInfo,
    Status,
    applicant_label,
)
from .steps import (  # noqa: F401
    FLAGS,
    GROUP,
    INFO_REQUESTED,
    INTERNAL,
    STEPS,
    Audience,
    Effect,
    Flag,
    Step,
    reason_for_group,
)
