"""The demo center's planning state: a re-optimisation proposal ready for the scheduler to review."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from scheduling.models import ReoptimisationProposal
from scheduling.services.reoptimise import proposal_compute, proposal_request

DEMO_SOLVE_SECONDS = 5


def demo_reoptimisation(*, username: str = "demo-scheduler") -> ReoptimisationProposal:
    """Replace any earlier proposal with one computed now (a few seconds of solving), moving nothing."""
    ReoptimisationProposal.objects.all().delete()
    user = get_user_model().objects.filter(username=username).first()
    proposal = proposal_request(user=user, enqueue=False)
    return proposal_compute(proposal_id=proposal.pk, time_limit=DEMO_SOLVE_SECONDS)
