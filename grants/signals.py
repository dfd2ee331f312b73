"""Signals grants sends to the layers above it (which it must not import): the public site drafts
an outcome page when a project's outcome is recorded."""

from django.dispatch import Signal

# Sent after the transaction commits, with `outcome` (grants.models.Outcome).
outcome_recorded = Signal()
