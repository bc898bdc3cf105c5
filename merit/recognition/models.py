"""Selections of the month's excellent employee (优秀员工, S3) and service star / best agent (S9): who is
eligible, a secret ballot of the team, the top two as candidates, then department head review → company
rating (the winner picked) → leader approval → publication with the reward posted (docs/recognition.md).

The ballot is secret: ``VoterReceipt`` records *that* a user voted (so nobody votes twice) and
``Ballot`` holds only *what* was voted — the selection and the candidate, no voter, no time, and a random
key (UUID) instead of a counter, so its id tells nothing about the order of the votes. Closing the vote
counts the ballots and writes them again in a random order, so neither the order of the rows nor the
transaction that wrote them follows the order of the receipts (threat model: docs/recognition.md).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SelectionKind(models.TextChoices):
    EXCELLENT = "excellent_employee", _("Excellent employee of the month")
    SERVICE_STAR = "service_star", _("Service star of the month")


class SelectionState(models.TextChoices):
    VOTING = "voting", _("Voting")
    REVIEW = "review", _("Awaiting the department head")
    RATING = "rating", _("Awaiting the company rating")
    APPROVAL = "approval", _("Awaiting the leader's approval")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")


class Selection(models.Model):
    kind = models.CharField(max_length=20, choices=SelectionKind.choices)
    team = models.ForeignKey("org.Team", on_delete=models.PROTECT, related_name="selections")
    period = models.CharField(max_length=7)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("200.00"))
    state = models.CharField(max_length=10, choices=SelectionState.choices, default=SelectionState.VOTING)
    eligible = models.JSONField(default=list)  # agent ids eligible when the vote opened
    # when the vote opened, each active agent of the team: {"agent_id", "reasons": [why not eligible]}
    eligibility = models.JSONField(default=list)
    tally = models.JSONField(default=list)  # on close: [{agent_id, votes}] of every colleague voted for
    candidates = models.JSONField(default=list)  # [{agent_id, votes}] the top two (ties included)
    winner = models.ForeignKey(
        "org.Agent", to_field="agent_id", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rated_at = models.DateTimeField(null=True, blank=True)
    rating_note = models.TextField(blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_note = models.TextField(blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-period", "team_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "team", "period"], name="selection_once_a_month"),
        ]
        verbose_name = "评优 selection"
        verbose_name_plural = "评优 selections"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.team_id} {self.period}"


class VoterReceipt(models.Model):
    """That ``user`` voted in ``selection`` — and nothing about the vote."""

    selection = models.ForeignKey(Selection, on_delete=models.PROTECT, related_name="receipts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["selection", "user"], name="one_vote_per_person")]


class Ballot(models.Model):
    """One vote: for whom, in which selection — never by whom, nor when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    selection = models.ForeignKey(Selection, on_delete=models.PROTECT, related_name="ballots")
    candidate = models.ForeignKey(
        "org.Agent", to_field="agent_id", db_column="agent_id", on_delete=models.PROTECT, related_name="+"
    )
