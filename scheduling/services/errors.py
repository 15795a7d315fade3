"""Refusals of the visit workflow, shared by the visit, visit-clock and derived-state services."""

from __future__ import annotations

from infusion_center.refusals import RefusalError


class VisitError(RefusalError):
    """A visit step refused, with a message a nurse understands."""
