"""The points shop: a balance never below zero, stock never below zero, cancel refunds, fine offsets at
the S2 rate (computed by hand), the engine's run not posting a shop redemption twice, permissions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from merit.facts.models import Redemption
from merit.ledger import posting as P
from merit.ledger.actions import _not_posted_yet
from merit.ledger.models import LedgerEntry
from merit.ledger.procedure import Movement, post
from merit.policies.actions import ensure_presets
from merit.shop import actions as A
from merit.shop.models import OrderState, Prize


def give(agent_id: str, book: str, category: str, amount: str, label: str = "") -> LedgerEntry:
    [e] = post(
        [Movement(agent_id, book, category, Decimal(amount), "2026-03", "test", label)], "proposal:1", None
    )
    return e


@pytest.fixture
def shop(world):
    give("li", P.POINTS, P.OPENING, "100")
    hr = world.users["hr"]
    return {
        "card": Prize.objects.create(
            name_zh="京东购物卡 100 元", name_en="JD card", points=60, stock=1, created_by=hr
        ),
        "mug": Prize.objects.create(name_zh="马克杯", points=30, created_by=hr),
    }


def test_redeeming_spends_points_at_once_and_never_below_zero(world, shop):
    li = world.users["li"]
    order = A.redeem(li, shop["card"])  # 100 − 60 = 40
    assert A.points_balance(world.agents["li"]) == Decimal("40.00")
    [e] = LedgerEntry.objects.filter(origin=f"redemption:{order.pk}")
    assert (e.category, e.amount, e.run_id, e.source) == (
        "redemption",
        Decimal("-60.00"),
        None,
        [{"table": "redemptions", "id": f"SHOP-{order.pk}"}],
    )
    assert Redemption.objects.get(redemption_id=f"SHOP-{order.pk}").points == 60
    A.redeem(li, shop["mug"])  # 40 − 30 = 10
    with pytest.raises(ValidationError, match="balance is 10.00"):
        A.redeem(li, shop["mug"])  # 10 < 30
    assert A.points_balance(world.agents["li"]) == Decimal("10.00")


def test_stock_runs_out(world, shop):
    give("wang", P.POINTS, P.OPENING, "100")
    A.redeem(world.users["li"], shop["card"])
    with pytest.raises(ValidationError, match="out of stock"):
        A.redeem(world.users["wang"], shop["card"])
    shop["card"].refresh_from_db()
    assert shop["card"].stock == 0 and A.points_balance(world.agents["wang"]) == Decimal("100.00")


def test_hr_cancels_and_the_points_and_stock_come_back(world, shop):
    order = A.redeem(world.users["li"], shop["card"])
    with pytest.raises(PermissionDenied):
        A.cancel(world.users["sup1"], order, "x")
    A.cancel(world.users["hr"], order, "缺货")
    order.refresh_from_db()
    shop["card"].refresh_from_db()
    assert order.state == OrderState.CANCELLED and shop["card"].stock == 1
    assert A.points_balance(world.agents["li"]) == Decimal("100.00")
    assert not Redemption.objects.filter(redemption_id=order.fact_id).exists()
    with pytest.raises(ValidationError):
        A.fulfil(world.users["hr"], order)


def test_only_an_agent_redeems_for_themself(world, shop):
    with pytest.raises(PermissionDenied):
        A.redeem(world.users["sup1"], shop["mug"])


def test_a_fine_is_offset_at_the_s2_rate(world, shop):
    ensure_presets()  # S2 in force: offset_yuan_per_point = 1
    fine = give("li", P.MONEY, P.FINE, "-50.00", "迟到")
    order = A.offset(world.users["li"], fine)
    # ⌊50 / 1⌋ = 50 points, paying 50 × ¥1 = ¥50.00; points 100 − 50 = 50
    assert (order.points, order.amount) == (50, Decimal("50.00"))
    assert A.points_balance(world.agents["li"]) == Decimal("50.00")
    money = sum(
        LedgerEntry.objects.filter(agent_id="li", book="money").values_list("amount", flat=True), Decimal(0)
    )
    assert money == Decimal("0.00")
    with pytest.raises(ValidationError, match="cannot be offset"):
        A.offset(world.users["li"], fine)  # once
    big = give("li", P.MONEY, P.FINE, "-200.00")
    order = A.offset(world.users["li"], big)  # only 50 points left: ¥50 of ¥200 paid
    assert (order.points, order.amount) == (50, Decimal("50.00"))
    assert A.points_balance(world.agents["li"]) == Decimal("0.00")
    other = give("wang", P.MONEY, P.FINE, "-20.00")
    with pytest.raises(ValidationError):
        A.offset(world.users["li"], other)  # not theirs


def test_a_run_does_not_post_a_shop_redemption_again(world, shop):
    order = A.redeem(world.users["li"], shop["mug"])
    source = [{"table": "redemptions", "id": order.fact_id}]
    drafts = [
        P.Draft("li", "2026-03", P.POINTS, P.REDEMPTION, "redemption", Decimal("-30.00"), source),
        P.Draft(
            "li",
            "2026-03",
            P.POINTS,
            P.REDEMPTION,
            "redemption",
            Decimal("-10.00"),
            [{"table": "redemptions", "id": "R-IMPORTED"}],
        ),
    ]
    kept = _not_posted_yet(drafts)
    assert [d.source[0]["id"] for d in kept] == ["R-IMPORTED"]


@pytest.mark.parametrize(
    "who, status",
    [("li", 200), ("sup1", 200), ("hr", 200), ("nobody", 403), ("anonymous", 302)],
)
def test_pages_by_role(client_for, shop, who, status):
    assert client_for(who).get("/shop/").status_code == status


def test_supervisors_see_their_teams_orders_and_not_the_queue(client_for, world, shop):
    A.redeem(world.users["li"], shop["mug"])
    assert "李明" in client_for("sup1").get("/shop/").content.decode()
    c = client_for("sup2")
    assert "李明" not in c.get("/shop/").content.decode()
    assert c.get("/shop/orders/").status_code == 403
    assert client_for("hr").get("/shop/orders/").status_code == 200
