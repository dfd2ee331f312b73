"""What money may be used for (a restriction) and what a commitment is for (a purpose): values,
kept on inflows, pledges, campaigns and accounts as their restriction fields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundpool.errors import InvalidRestriction, RestrictionExpired
from fundpool.models.choices import RestrictionKind

if TYPE_CHECKING:
    from fundpool.models import Theme


@dataclass(frozen=True)
class Restriction:
    """What a sum of money may be used for, and until when."""

    kind: str = RestrictionKind.UNRESTRICTED
    theme: Theme | None = None
    call_ref: str = ""
    expires_on: date | None = None

    def validate(self, *, received_on: date | None = None) -> None:
        if self.kind not in RestrictionKind.values:
            raise InvalidRestriction(_("Unknown restriction “%(kind)s”."), kind=str(self.kind)[:40])
        if self.kind == RestrictionKind.THEME and self.theme is None:
            raise InvalidRestriction(_("Choose the theme this money is restricted to."))
        if self.kind == RestrictionKind.CALL and not self.call_ref.strip():
            raise InvalidRestriction(_("Give the call this money is restricted to."))
        if self.kind != RestrictionKind.THEME and self.theme is not None:
            raise InvalidRestriction(_("Only theme-restricted money names a theme."))
        if self.kind != RestrictionKind.CALL and self.call_ref:
            raise InvalidRestriction(_("Only call-restricted money names a call."))
        if self.expires_on is not None:
            if received_on is not None and self.expires_on < received_on:
                raise RestrictionExpired(
                    _("The restriction expires on %(expires)s, before the money was received (%(received)s)."),
                    expires=self.expires_on.isoformat(),
                    received=received_on.isoformat(),
                )
            if self.expires_on < timezone.localdate():
                raise RestrictionExpired(
                    _("The restriction expired on %(expires)s; expired money can no longer be committed."),
                    expires=self.expires_on.isoformat(),
                )

    def as_fields(self) -> dict:
        return {
            "restriction_kind": self.kind,
            "theme": self.theme,
            "call_ref": self.call_ref,
            "expires_on": self.expires_on,
        }

    @classmethod
    def of(cls, obj) -> Restriction:
        return cls(kind=obj.restriction_kind, theme=obj.theme, call_ref=obj.call_ref, expires_on=obj.expires_on)


@dataclass(frozen=True)
class Purpose:
    """What a commitment is for. Decides which restricted money it may draw."""

    theme: Theme | None = None
    call_ref: str = ""
    capacity_building: bool = False
    # False: only the restricted money named above (e.g. a capacity-building sum that must come
    # out of capacity-building money), never unrestricted money.
    unrestricted_allowed: bool = True

    def bucket_filter(self, prefix: str = "") -> Q:
        """Matches available accounts (prefix "") or lots whose restriction this purpose may use."""
        p = prefix
        q = Q(**{f"{p}restriction_kind": RestrictionKind.UNRESTRICTED}) if self.unrestricted_allowed else Q(pk__in=[])
        if self.capacity_building:
            return q | Q(**{f"{p}restriction_kind": RestrictionKind.CAPACITY})
        if self.theme is not None:
            q |= Q(**{f"{p}restriction_kind": RestrictionKind.THEME, f"{p}theme": self.theme})
        if self.call_ref:
            q |= Q(**{f"{p}restriction_kind": RestrictionKind.CALL, f"{p}call_ref": self.call_ref})
        return q

    def allows(self, kind: str, theme_id: int | None, call_ref: str) -> bool:
        if kind == RestrictionKind.UNRESTRICTED:
            return self.unrestricted_allowed
        if self.capacity_building:
            return kind == RestrictionKind.CAPACITY
        if kind == RestrictionKind.THEME:
            return self.theme is not None and theme_id == self.theme.pk
        if kind == RestrictionKind.CALL:
            return bool(self.call_ref) and call_ref == self.call_ref
        return False
