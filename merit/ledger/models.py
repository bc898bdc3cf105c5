"""Ledger entries: the points and money each published run gives or takes, one row per movement.

Append-only: the database refuses UPDATE and DELETE on this table (a trigger installed by the migration).
Entries come from a published run (``run``) or from a procedure that took effect (``origin``: a penalty
notice acknowledged or witnessed, an appeal's reversal, a redemption in the points shop); every entry has
one or the other. A correction never edits a row: it adds a reversal (the negated amount, ``reverses`` = the original; an
original is reversed at most once) and the new entry. Balances are sums of entries (merit.ledger.queries).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from merit.ledger import posting as P


class Book(models.TextChoices):
    POINTS = P.POINTS, _("Points")
    MONEY = P.MONEY, _("Money")


class Category(models.TextChoices):
    OPENING = P.OPENING, _("Opening allotment")
    EXPIRY = P.EXPIRY, _("Balance lapsed at reset")
    AWARD = P.AWARD, _("Award")
    DEDUCTION = P.DEDUCTION, _("Deduction")
    REDEMPTION = P.REDEMPTION, _("Redemption")
    FINE = P.FINE, _("Fine")
    FINE_OFFSET = P.FINE_OFFSET, _("Fine paid with points")
    REWARD = P.REWARD, _("Reward")
    TEAM_REWARD = P.TEAM_REWARD, _("Share of a team reward")
    BONUS = P.BONUS, _("Bonus")
    BONUS_CUT = P.BONUS_CUT, _("Bonus cut")
    BONUS_RAISE = P.BONUS_RAISE, _("Bonus raise")
    FEE = P.FEE, _("Service fee")


class LedgerEntry(models.Model):
    agent = models.ForeignKey(
        "org.Agent",
        to_field="agent_id",
        db_column="agent_id",
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        verbose_name="客服 agent",
    )
    book = models.CharField("账本 book", max_length=8, choices=Book.choices)
    category = models.CharField("类别 category", max_length=16, choices=Category.choices)
    amount = models.DecimalField("金额 amount", max_digits=14, decimal_places=2)  # + credit, − debit
    period = models.CharField("月份 period", max_length=7)  # YYYY-MM
    rule = models.CharField("规则 rule", max_length=100)
    label = models.CharField("说明 label", max_length=500, blank=True)
    source = models.JSONField("来源 source", default=list)  # the results' source rows: [{table, id}, …]
    key = models.CharField(max_length=64)  # merit.ledger.posting.entry_key: matches entries across runs
    run = models.ForeignKey(  # the published run that posted it; empty for an entry of a procedure
        "assessment.Run",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        verbose_name="考核批次 run",
    )
    # What posted an entry outside a run: "notice:12" (a penalty notice or reward taking effect),
    # "appeal:5" (an appeal's reversal), "redemption:3" (the points shop). Empty for a run's entries.
    origin = models.CharField("来源单据 origin", max_length=40, blank=True, default="", db_index=True)
    reverses = models.OneToOneField(  # unique: an original is reversed at most once
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversal",
        verbose_name="冲销 reverses",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["agent_id", "period", "book", "pk"]
        indexes = [
            models.Index(fields=["agent", "book", "period"], name="ledger_agent_book_period"),
            models.Index(fields=["run", "key"], name="ledger_run_key"),
            models.Index(fields=["period", "book"], name="ledger_period_book"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(book__in=P.BOOKS), name="ledger_book_known"),
            models.CheckConstraint(
                condition=models.Q(run__isnull=False) | ~models.Q(origin=""), name="ledger_run_or_origin"
            ),
        ]
        verbose_name = "台账分录 ledger entry"
        verbose_name_plural = "台账分录 ledger entries"

    def __str__(self) -> str:
        return f"#{self.pk} {self.agent_id} {self.period} {self.book} {self.category} {self.amount}"

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None
