"""Redeeming, offsetting, fulfilling and cancelling (docs/shop.md). Each is one transaction that locks the
agent's row first, so two redemptions of one agent run one after the other and the second sees the
balance the first left: the balance never goes below zero, and stock never below zero (a conditional
UPDATE ``stock = stock - 1 WHERE stock >= 1``)."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.urls import reverse as url
from django.utils import timezone
from django.utils.translation import gettext as _

from merit.audit.log import record
from merit.discipline.actions import SHANGHAI, _users_with
from merit.facts.models import Redemption
from merit.inbox.notify import notify, notify_all
from merit.ledger import posting as P
from merit.ledger.models import LedgerEntry
from merit.ledger.procedure import Movement, origin_of, post, reverse
from merit.org.access import scope_of
from merit.org.models import Agent, UserRole
from merit.shop.models import Order, OrderKind, OrderState, Prize

OFFSET_POLICY = "S2"  # the policy whose parameter offset_yuan_per_point sets the rate


def points_balance(agent: Agent) -> Decimal:
    total = LedgerEntry.objects.filter(agent=agent, book=P.POINTS).aggregate(s=Sum("amount"))["s"]
    return Decimal(total or 0).quantize(P.CENT)


def _period(now) -> str:
    return timezone.localtime(now, SHANGHAI).strftime("%Y-%m")


def _own_agent(user) -> Agent:
    agent = Agent.objects.filter(user=user, active=True).first()
    if agent is None or scope_of(user).role != UserRole.AGENT:
        raise PermissionDenied(_("Only an agent redeems points, from their own balance."))
    return agent


def _lock(agent: Agent) -> Agent:
    return Agent.objects.select_for_update().get(pk=agent.pk)


def _fact(order: Order, kind: str, now) -> None:
    Redemption.objects.create(
        redemption_id=order.fact_id,
        agent_id=order.agent_id,
        at=now,
        points=order.points,
        kind=kind,
        note=f"积分商城 points shop #{order.pk}",
    )


def redeem(user, prize: Prize) -> Order:
    agent = _own_agent(user)
    with transaction.atomic():
        _lock(agent)
        prize = Prize.objects.get(pk=prize.pk)
        if not prize.active:
            raise ValidationError(_("This prize is not on sale."))
        balance = points_balance(agent)
        if balance < prize.points:
            raise ValidationError(
                _("Your balance is %(balance)s points; %(prize)s costs %(points)d.")
                % {"balance": balance, "prize": prize.name_zh, "points": prize.points}
            )
        if prize.stock is not None and not Prize.objects.filter(pk=prize.pk, stock__gte=1).update(
            stock=F("stock") - 1
        ):
            raise ValidationError(_("%(prize)s is out of stock.") % {"prize": prize.name_zh})
        now = timezone.now()
        order = Order.objects.create(
            agent=agent,
            kind=OrderKind.PRIZE,
            prize=prize,
            points=prize.points,
            period=_period(now),
            placed_by=user,
        )
        _fact(order, "prize", now)
        post(
            [_points_move(order, f"兑换 {prize.name_zh} redeemed {prize.name_en or prize.name_zh}")],
            origin_of("redemption", order.pk),
            user,
            action="shop.redeem",
            target=order,
        )
        notify_all(
            _users_with(UserRole.HR),
            "shop.order",
            _("%(agent)s redeemed %(prize)s") % {"agent": agent.name, "prize": prize.name_zh},
            url=url("shop:queue"),
        )
    return order


def _points_move(order: Order, label: str) -> Movement:
    return Movement(
        order.agent_id,
        P.POINTS,
        P.REDEMPTION,
        -Decimal(order.points),
        order.period,
        "redemption",
        label,
        ({"table": "redemptions", "id": order.fact_id},),
    )


def offset_rate(period: str) -> Decimal:
    from merit.discipline.catalogue import _value
    from merit.engine.policy.load import parse_policy
    from merit.policies.actions import resolve
    from merit.policies.models import PolicyVersion

    try:
        version = resolve(OFFSET_POLICY, period)
    except PolicyVersion.DoesNotExist:
        raise ValidationError(_("Fine offsets need the S2 points policy in force.")) from None
    loaded = parse_policy(version.text, f"{version.policy_id} v{version.version}")
    rate = _value(loaded.params.get("offset_yuan_per_point"), {})
    if rate is None or rate <= 0:
        raise ValidationError(_("The policy has no rate for fine offsets."))
    return rate


def offsettable_fines(agent: Agent):
    """The agent's fines that can still be paid with points: not reversed, not a reversal, not offset."""
    return LedgerEntry.objects.filter(
        agent=agent,
        book=P.MONEY,
        category=P.FINE,
        amount__lt=0,
        reverses__isnull=True,
        reversal__isnull=True,
        offset_order__isnull=True,
    ).order_by("-period", "-pk")


def offset(user, fine: LedgerEntry) -> Order:
    """Pay ``fine`` with points: ⌊fine / rate⌋ whole points (fewer if the balance is smaller), each worth
    ``rate`` yuan; the rest of the fine, if any, stays."""
    agent = _own_agent(user)
    with transaction.atomic():
        _lock(agent)
        if not offsettable_fines(agent).filter(pk=fine.pk).exists():
            raise ValidationError(_("This fine cannot be offset (not yours, reversed or already offset)."))
        now = timezone.now()
        period = _period(now)
        rate = offset_rate(period)
        needed = int((-fine.amount / rate).to_integral_value(rounding=ROUND_FLOOR))
        points = min(needed, int(points_balance(agent).to_integral_value(rounding=ROUND_FLOOR)))
        if points < 1:
            raise ValidationError(_("Not enough points: one point offsets %(rate)s yuan.") % {"rate": rate})
        amount = (rate * points).quantize(P.CENT)
        order = Order.objects.create(
            agent=agent,
            kind=OrderKind.FINE_OFFSET,
            fine=fine,
            points=points,
            amount=amount,
            period=period,
            placed_by=user,
            state=OrderState.FULFILLED,
            done_by=user,
            done_at=now,
        )
        _fact(order, "fine_offset", now)
        origin = origin_of("offset", order.pk)
        post(
            [
                _points_move(order, f"抵扣罚款 #{fine.pk} fine offset"),
                Movement(
                    agent.agent_id,
                    P.MONEY,
                    P.FINE_OFFSET,
                    amount,
                    period,
                    "fine_offset",
                    f"积分抵扣罚款 #{fine.pk} · {points} 分 × {rate} 元",
                    ({"table": "redemptions", "id": order.fact_id},),
                ),
            ],
            origin,
            user,
            action="shop.offset",
            target=order,
        )
    return order


def may_manage(user) -> bool:
    return scope_of(user).is_manager


def fulfil(user, order: Order, note: str = "") -> Order:
    if not may_manage(user):
        raise PermissionDenied(_("Only HR and admins fulfil orders."))
    with transaction.atomic():
        n = Order.objects.filter(pk=order.pk, state=OrderState.PLACED).update(
            state=OrderState.FULFILLED, done_by=user, done_at=timezone.now(), note=note.strip()
        )
        if n != 1:
            raise ValidationError(_("The order is no longer waiting."))
        order.refresh_from_db()
        record(user, "shop.fulfil", order)
        notify(
            order.agent.user,
            "shop.fulfilled",
            _("Your prize is ready: %(prize)s") % {"prize": order.prize.name_zh},
            url=url("shop:catalogue"),
        )
    return order


def cancel(user, order: Order, note: str) -> Order:
    """HR cancels a waiting order: the points come back (a reversal), the stock too, the fact row goes."""
    if not may_manage(user):
        raise PermissionDenied(_("Only HR and admins cancel orders."))
    if not note.strip():
        raise ValidationError(_("Give the reason for the cancellation."))
    with transaction.atomic():
        _lock(order.agent)
        n = Order.objects.filter(pk=order.pk, state=OrderState.PLACED).update(
            state=OrderState.CANCELLED, done_by=user, done_at=timezone.now(), note=note.strip()
        )
        if n != 1:
            raise ValidationError(_("The order is no longer waiting."))
        order.refresh_from_db()
        entries = list(
            LedgerEntry.objects.filter(origin=origin_of("redemption", order.pk), reverses__isnull=True)
        )
        reverse(entries, origin_of("redemption", order.pk), user, action="shop.cancel", target=order)
        if order.prize.stock is not None:
            Prize.objects.filter(pk=order.prize_id).update(stock=F("stock") + 1)
        Redemption.objects.filter(redemption_id=order.fact_id).delete()
        notify(
            order.agent.user,
            "shop.cancelled",
            _("Your order was cancelled and the points refunded: %(note)s") % {"note": order.note},
            url=url("shop:catalogue"),
        )
    return order
