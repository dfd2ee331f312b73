"""The texts fundpool writes by itself, stored as codes (core/system_reasons.py says why)."""

from django.utils.translation import gettext_lazy as _

from core.system_reasons import display, encode, register, typed  # noqa: F401 - fundpool's callers use them here

register(
    {
        "fund.online_gift": _("Online gift #%(n)s"),
        "fund.match": _("Match for gift #%(n)s (%(campaign)s)"),
        "fund.imported_gift": _("Imported gift"),
        "fund.general_pool": _("The general pool"),
        "fund.suspense_unknown_session": _("No gift of ours for Checkout session %(session)s"),
        "fund.suspense_amount_differs": _(
            "Stripe reports %(units)s %(currency)s (minor units); the gift was for %(amount)s %(gift_currency)s"
        ),
    }
)
