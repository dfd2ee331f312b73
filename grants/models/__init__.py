"""Grants' models, by stage, re-exported here: `from grants.models import Application`.

An application's status changes only through the lifecycle (grants/lifecycle), run by
grants/transitions.py."""

from .amendments import (  # noqa: F401
    OPEN_AMENDMENT,
    AgreementConsent,
    AgreementVersion,
    Amendment,
    AmendmentKind,
    AmendmentStatus,
    Correction,
    CorrectionKind,
)
from .applications import (  # noqa: F401
    Application,
    ApplicationAttachment,
    BudgetLine,
    EligibilityTick,
    Milestone,
)
from .award import (  # noqa: F401
    Agreement,
    Objection,
    ObjectionDigest,
    ObjectionStatement,
    Tranche,
)
from .calls import (  # noqa: F401
    Call,
    CallCheck,
    CallCriterion,
    CallTranche,
    Community,
    PriorityProblem,
    SubDistrict,
)
from .common import (  # noqa: F401
    CHARGED,
    ZERO,
    ContactMethod,
    ExpenseStatus,
    FeedbackStatus,
    FilingStatus,
    GroupType,
    MemberRole,
    ObjectionStatus,
    Recommendation,
    RecoveryStatus,
    ReportKind,
    ReportStatus,
    Track,
    TrancheStatus,
    TrancheTrigger,
    _private_storage,
)
from .conversation import (  # noqa: F401
    InfoRequest,
    InfoRequestItem,
    ItemStatus,
    Message,
    MessageAttachment,
    MessageKind,
    Thread,
    ThreadRead,
)
from .delivery import (  # noqa: F401
    Activity,
    Expense,
    Feedback,
    Outcome,
    ProjectPhoto,
    ProjectReport,
    Recovery,
    ReminderSent,
)
from .dossier import DossierStatus, ProjectDossier  # noqa: F401
from .groups import (  # noqa: F401
    GroupInvitation,
    GroupMembership,
    ResidentGroup,
    _invitation_token,
)
from .review import (  # noqa: F401
    CriterionScore,
    Review,
    ReviewAssignment,
    ReviewerProfile,
)
