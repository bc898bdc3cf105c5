"""The points shop (积分商城, S2): prizes with a point price and stock; orders of an agent paid from their
points balance; fine offsets (积分抵扣罚款) at the policy's rate (docs/shop.md).

An order posts its points at once (``redemption``, origin ``redemption:<id>``; an offset also posts the
money it pays, ``fine_offset``, origin ``offset:<id>``) and writes the matching row of the facts table
``redemptions`` (id ``SHOP-<id>``), so the engine's points balance, resets and quarter checks see it; a
run's entries for a redemption already posted by the shop are not posted again (merit.ledger.actions).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Prize(models.Model):
    name_zh = models.CharField(_("Name (Chinese)"), max_length=100)
    name_en = models.CharField(_("Name (English)"), max_length=100, blank=True)
    points = models.PositiveIntegerField(_("Price in points"))
    stock = models.PositiveIntegerField(_("Stock (empty: unlimited)"), null=True, blank=True)
    active = models.BooleanField(_("On sale"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["points", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(points__gt=0), name="prize_points_positive")]
        verbose_name = "奖品 prize"
        verbose_name_plural = "奖品 prizes"

    def __str__(self) -> str:
        return self.name_zh


class OrderKind(models.TextChoices):
    PRIZE = "prize", _("Prize")
    FINE_OFFSET = "fine_offset", _("Fine offset")


class OrderState(models.TextChoices):
    PLACED = "placed", _("Awaiting HR")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled, points refunded")


class Order(models.Model):
    agent = models.ForeignKey(
        "org.Agent",
        to_field="agent_id",
        db_column="agent_id",
        on_delete=models.PROTECT,
        related_name="shop_orders",
    )
    kind = models.CharField(max_length=12, choices=OrderKind.choices)
    prize = models.ForeignKey(Prize, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    fine = models.OneToOneField(  # the fine an offset pays (once)
        "ledger.LedgerEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="offset_order"
    )
    points = models.PositiveIntegerField()
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )  # money an offset pays
    period = models.CharField(max_length=7)
    state = models.CharField(max_length=10, choices=OrderState.choices, default=OrderState.PLACED)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(auto_now_add=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-placed_at", "-pk"]
        indexes = [models.Index(fields=["state", "placed_at"], name="shop_order_state")]
        verbose_name = "兑换单 order"
        verbose_name_plural = "兑换单 orders"

    @property
    def fact_id(self) -> str:
        return f"SHOP-{self.pk}"
