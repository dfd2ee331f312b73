"""Business-rule failures of the fund pool. Each carries a message for the user, translated."""

from django.utils.translation import gettext_lazy as _

from core.errors import Refused


class FundpoolError(Refused):
    """Base class: the operation was refused and nothing was written."""


class InvalidAmount(FundpoolError):
    default_message = _("Enter a valid amount.")


class CurrencyMismatch(FundpoolError):
    default_message = _("This pool keeps one currency only.")


class InsufficientFunds(FundpoolError):
    default_message = _("The pool does not hold enough money for this.")


class RestrictionMismatch(FundpoolError):
    default_message = _("Restricted money cannot be used for this purpose.")


class RestrictionExpired(FundpoolError):
    default_message = _("The restricted money for this purpose has expired.")


class InvalidRestriction(FundpoolError):
    default_message = _("The restriction is not valid.")


class OverCommitment(FundpoolError):
    default_message = _("That is more than remains committed.")


class UnknownReference(FundpoolError):
    default_message = _("No commitment exists under that reference.")


class AlreadyReversed(FundpoolError):
    default_message = _("This entry has already been reversed.")


class NotReversible(FundpoolError):
    default_message = _("This entry cannot be reversed.")


class DuplicateReference(FundpoolError):
    default_message = _("That reference has already been used.")


class PledgeError(FundpoolError):
    default_message = _("The pledge cannot take this.")
