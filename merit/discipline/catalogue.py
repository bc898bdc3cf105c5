"""The catalogue of rewards and penalties a proposal picks from (docs/discipline.md § Catalogue).

Built from the policies in force (the newest version of each policy a published run used; before any
run, of every stored policy): each money rule (fine or reward), each points rule and award, and each
offence of a warning ladder becomes an item with its amount, or the range of amounts the policy allows
(bands, a map by severity, a sequence). Manual items come after them: the special contribution bonus
(S6, ¥0–500, reason required) and a free reward or penalty with a reason.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import get_language

from merit.engine.policy.load import LoadedPolicy, PolicyError, parse_policy
from merit.ledger import posting as P

MONEY, POINTS = P.MONEY, P.POINTS


@dataclass(frozen=True)
class Item:
    id: str  # "<policy id>:<rule id>" or "manual:<id>"
    kind: str  # reward / penalty
    book: str  # money / points
    label_zh: str
    label_en: str
    minimum: Decimal  # the amount's range (equal: a fixed amount)
    maximum: Decimal
    rule: str  # the rule in words, with its rulebook reference
    warning_level: str = ""  # a ladder offence: the warning it issues
    policy: str = ""  # policy id and version, "S9 v1"

    @property
    def label(self) -> str:
        return self.label_zh if (get_language() or "zh").startswith("zh") else self.label_en

    @property
    def fixed(self) -> bool:
        return self.minimum == self.maximum

    def check_amount(self, amount: Decimal) -> str | None:
        """None when ``amount`` is allowed, else the reason in both languages."""
        if amount < 0:
            return "金额不能为负 The amount cannot be negative"
        if not self.minimum <= amount <= self.maximum:
            return (
                f"{self.label_zh}的金额应在 {self.minimum}–{self.maximum} 之间 "
                f"The amount of {self.label_en} is between {self.minimum} and {self.maximum}"
            )
        return None


MANUAL = (
    Item(
        "manual:special_contribution",
        "reward",
        MONEY,
        "特殊贡献奖",
        "Special contribution bonus",
        Decimal("0.00"),
        Decimal("500.00"),
        "S6：特殊贡献奖 0–500 元（协助招聘、产品建议被采纳、重点项目），须写明理由 "
        "S6: special contribution ¥0-500 (recruiting help, product feedback adopted, key projects), with a reason",
    ),
    Item(
        "manual:reward",
        "reward",
        MONEY,
        "其他奖励（手工）",
        "Other reward (manual)",
        Decimal("0.00"),
        Decimal("5000.00"),
        "手工奖励：须写明事实与理由 Manual reward: facts and reason required",
    ),
    Item(
        "manual:fine",
        "penalty",
        MONEY,
        "其他罚款（手工）",
        "Other fine (manual)",
        Decimal("0.00"),
        Decimal("2000.00"),
        "手工罚款：须写明事实、依据与理由 Manual fine: facts, rule and reason required",
    ),
    Item(
        "manual:points_award",
        "reward",
        POINTS,
        "加分（手工）",
        "Points awarded (manual)",
        Decimal("0.00"),
        Decimal("50.00"),
        "手工加分 Manual points award",
    ),
    Item(
        "manual:points_deduction",
        "penalty",
        POINTS,
        "扣分（手工）",
        "Points deducted (manual)",
        Decimal("0.00"),
        Decimal("50.00"),
        "手工扣分 Manual points deduction",
    ),
)


def _value(v, params: dict) -> Decimal | None:
    """A number of the policy: a literal, or a parameter (``param.x`` or ``x``); None for expressions."""
    if isinstance(v, Decimal | int | float):
        return Decimal(str(v))
    if isinstance(v, str):
        name = v.removeprefix("param.").strip()
        if name in params:
            try:
                return Decimal(str(params[name]))
            except ArithmeticError:
                return None
    return None


def _range(values) -> tuple[Decimal, Decimal] | None:
    nums = [Decimal(str(v)) for v in values if v is not None]
    return (min(nums), max(nums)) if nums else None


def _rule(rulebook: str | None, label_zh: str, label_en: str) -> str:
    return f"{label_zh} {label_en}" + (f" ({rulebook})" if rulebook else "")


def _money_items(loaded: LoadedPolicy, tag: str) -> list[Item]:
    p, params, out = loaded.policy, loaded.params, []
    for r in getattr(p, "money", None) or []:
        if r.kind not in ("fine", "reward"):
            continue
        span = None
        if r.amount is not None:
            v = _value(r.amount, params)
            span = (v, v) if v is not None else None
        elif r.amount_by is not None:
            span = _range([*r.amount_by.map.values(), r.amount_by.default])
        elif r.amount_bands is not None:
            span = _range([getattr(b, "points", None) for b in r.amount_bands.bands])
        elif r.sequence:
            span = _range([s.amount for s in r.sequence if s.amount is not None])
        elif r.rank is not None and r.places:
            span = _range(r.places)
        if span is None:
            continue  # a bonus percentage or an amount from a column: the engine computes it, not a person
        out.append(
            Item(
                f"{p.id}:{r.id}",
                "reward" if r.kind == "reward" else "penalty",
                MONEY,
                r.label.zh,
                r.label.en,
                span[0].quantize(P.CENT),
                span[1].quantize(P.CENT),
                _rule(r.rulebook, r.label.zh, r.label.en),
                policy=tag,
            )
        )
    return out


def _points_items(loaded: LoadedPolicy, tag: str) -> list[Item]:
    p, params, out = loaded.policy, loaded.params, []
    pts = getattr(p, "points", None)
    if pts is None:
        return out
    for r in pts.rules:
        if r.points is not None:
            span = (Decimal(r.points), Decimal(r.points))
        elif r.points_by is not None:
            span = _range([*r.points_by.map.values(), r.points_by.default])
        elif r.points_bands is not None:
            span = _range([getattr(b, "points", None) for b in r.points_bands.bands])
        else:
            continue
        if span is None:
            continue
        lo, hi = sorted((abs(span[0]), abs(span[1])))
        kind = "penalty" if (span[0] < 0 or span[1] < 0) else "reward"
        out.append(
            Item(
                f"{p.id}:{r.id}",
                kind,
                POINTS,
                r.label.zh,
                r.label.en,
                lo.quantize(P.CENT),
                hi.quantize(P.CENT),
                _rule(r.rulebook, r.label.zh, r.label.en),
                policy=tag,
            )
        )
    for a in pts.awards:
        v = _value(a.points, params)
        if v is None:
            continue
        out.append(
            Item(
                f"{p.id}:{a.id}",
                "penalty" if v < 0 else "reward",
                POINTS,
                a.label.zh,
                a.label.en,
                abs(v).quantize(P.CENT),
                abs(v).quantize(P.CENT),
                _rule(a.rulebook, a.label.zh, a.label.en),
                policy=tag,
            )
        )
    return out


def _ladder_items(loaded: LoadedPolicy, tag: str) -> list[Item]:
    p, out = loaded.policy, []
    ladder = getattr(p, "ladder", None)
    if ladder is None:
        return out
    levels = {lv.id: lv for lv in ladder.levels}
    for o in ladder.offences:
        lv = levels[o.level]
        fine = (Decimal(lv.fine) * o.count).quantize(P.CENT)
        out.append(
            Item(
                f"{p.id}:{o.id}",
                "penalty",
                MONEY,
                f"{o.label.zh}（{lv.label.zh}）",
                f"{o.label.en} ({lv.label.en})",
                fine,
                fine,
                _rule(o.rulebook or p.rulebook, lv.label.zh, lv.label.en),
                warning_level=lv.id,
                policy=tag,
            )
        )
    return out


@functools.lru_cache(maxsize=64)
def _items_of(sha256: str, text: str, tag: str) -> tuple[Item, ...]:
    try:
        loaded = parse_policy(text, tag)
    except PolicyError:  # a stored version the engine no longer reads offers no items (it cannot run either)
        return ()
    return tuple(_money_items(loaded, tag) + _points_items(loaded, tag) + _ladder_items(loaded, tag))


def policies_in_force():
    """The newest version of each policy a published run used, or of every policy before any run."""
    from merit.assessment.models import Run, RunState
    from merit.policies.actions import latest_versions

    used = set(
        Run.objects.filter(state=RunState.PUBLISHED).values_list("policy_version__policy_id", flat=True)
    )
    versions = latest_versions()
    if used:
        versions = versions.filter(policy_id__in=used)
    return sorted(versions, key=lambda v: (v.policy_id, v.version))


def catalogue() -> list[Item]:
    items: list[Item] = []
    for v in policies_in_force():
        items.extend(_items_of(v.sha256, v.text, f"{v.policy_id} v{v.version}"))
    return items + list(MANUAL)


def find(item_id: str) -> Item | None:
    return next((it for it in catalogue() if it.id == item_id), None)
