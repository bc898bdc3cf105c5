"""The policy language: pydantic models, one per rule type (docs/policy-language.md).

A policy is data. Each scorecard item kind, points rule, grading mode and bonus part has its own
model; conditions and formulas are strings in the safe expression language (``merit.engine.expr``).
``docs/policy.schema.json`` is generated from these models (``merit policy schema``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from merit.engine.metrics.catalogue import MetricDef, Text

Ident = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
# A number, or an expression evaluated per agent (e.g. "benchmark.refund_dispute_rate").
NumOrExpr = Decimal | str

FLAG_KINDS = (
    "warning",
    "training",
    "bonus_withheld",
    "probation",
    "suspension",
    "dismissal_review",
    "qualification_cancelled",
    "blacklist",
    "level_up",
    "level_down",
    "title",
    "excellent_employee",
    "salary_raise",
)
FlagKind = Literal[
    "warning",
    "training",
    "bonus_withheld",
    "probation",
    "suspension",
    "dismissal_review",
    "qualification_cancelled",
    "blacklist",
    "level_up",
    "level_down",
    "title",
    "excellent_employee",
    "salary_raise",
]
# Flags the engine only recommends: a person must decide (the engine never dismisses anyone, and a
# base salary (基本工资) is changed by HR, not by a month's results).
HUMAN_DECISION = frozenset(
    {"dismissal_review", "qualification_cancelled", "blacklist", "probation", "salary_raise"}
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Param(Strict):
    value: Decimal | bool | str
    doc: str | None = None
    rulebook: str | None = None


# ---- scorecard items --------------------------------------------------------------------------------


class Band(Strict):
    """One row of a band table. Bounds may be numbers or expressions (e.g. a benchmark)."""

    min: NumOrExpr | None = None
    max: NumOrExpr | None = None
    points: Decimal
    closed: Literal["left", "right"] | None = None  # [min, max) or (min, max]; default: the item's


class ItemBase(Strict):
    id: Ident
    label: Text
    weight: Decimal | None = Field(None, ge=0)
    addon: bool = False  # 附加分: added to the total outside the weights
    min_points: Decimal | None = None
    max_points: Decimal | None = None
    missing: Literal["exclude", "zero", "base"] = "exclude"  # what an agent with no data gets
    when: str | None = None  # the item applies only to agents matching this condition
    rulebook: str | None = None
    note: str | None = None


class ManualItem(ItemBase):
    """A supervisor's score from manual_scores (主管评分), clamped to the item's range."""

    kind: Literal["manual"]
    item: Ident  # manual_scores.item


class BandsItem(ItemBase):
    """A value looked up in a band table (first matching band wins)."""

    kind: Literal["bands"]
    metric: str | None = None
    value: str | None = None  # an expression instead of a metric
    bands: list[Band] = Field(min_length=1)
    closed: Literal["left", "right"] = "left"
    otherwise: Decimal = Decimal(0)


class StepsItem(ItemBase):
    """Whole steps relative to a target or benchmark, in the direction that is better."""

    kind: Literal["steps"]
    metric: str | None = None
    value: str | None = None
    target: NumOrExpr
    step: NumOrExpr  # a positive number or a parameter (param.dispute_step)
    base: Decimal | None = None  # default: the weight (or 0 without one)
    better: NumOrExpr = Decimal(0)  # points per whole step better than target
    worse: NumOrExpr = Decimal(0)  # points deducted per whole step worse than target
    rounding: Literal["floor", "ceil"] = "floor"  # ceil: a started step counts whole
    direction: Literal["higher", "lower"] | None = None  # default: the metric's better direction


class LinearItem(ItemBase):
    kind: Literal["linear"]
    metric: str | None = None
    value: str | None = None
    origin: NumOrExpr = Decimal(0)
    slope: Decimal
    base: Decimal = Decimal(0)


class Tier(Strict):
    upto: int | None = Field(None, ge=1)  # up to this many counted events (cumulative), None = the rest
    per: Decimal


class CountRule(Strict):
    metric: str
    free: int = Field(0, ge=0)  # the first N are warnings only
    per: Decimal = Decimal(0)  # points per counted event (negative = deduction)
    tiers: list[Tier] | None = None
    pivot: int | None = Field(
        None, ge=0
    )  # with pivot: below * (pivot - n) under it, per * (n - pivot) over it
    below: Decimal = Decimal(0)


class EventsItem(ItemBase):
    """Counts of events with a free first offence, tiers or a pivot (e.g. S5 work discipline)."""

    kind: Literal["events"]
    base: Decimal | None = None
    counts: list[CountRule] = Field(min_length=1)


class FormulaItem(ItemBase):
    kind: Literal["formula"]
    expr: str


class RankSpec(Strict):
    """A ranking: by one metric, or by the sum of several metrics' ranks (composite)."""

    by: list[RankKey] = Field(min_length=1)
    scope: Literal["all", "team"] = "all"
    tie_break: list[RankKey] = []


class RankKey(Strict):
    metric: str
    order: Literal["desc", "asc"] = "desc"


class RankItem(ItemBase):
    """Points for the first and last places of a ranking (e.g. S7 order amount: first +5, last −5)."""

    kind: Literal["rank"]
    rank: RankSpec
    top: list[Decimal] = []  # points for places 1, 2, …
    bottom: list[Decimal] = []  # points for the last, second last, …


Item = Annotated[
    ManualItem | BandsItem | StepsItem | LinearItem | EventsItem | FormulaItem | RankItem,
    Field(discriminator="kind"),
]


class Scorecard(Strict):
    total: Literal["sum", "weighted"] = "sum"  # weighted: Σ w·s / Σ w over the items present
    floor: Decimal | None = None
    cap: Decimal | None = None
    # Each item's points at most its weight (满分 = weight), where the item sets no max_points: true, or a
    # condition such as "param.cap_items_at_weight" (a preset's switch). Default: no such cap.
    cap_at_weight: bool | str = False
    items: list[Item] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids(self):
        seen = set()
        for it in self.items:
            if it.id in seen:
                raise ValueError(f"item id {it.id!r} used twice")
            seen.add(it.id)
            if self.total == "weighted" and not it.addon and it.weight is None:
                raise ValueError(f"item {it.id!r}: a weighted scorecard needs a weight on every item")
        return self


# ---- points budget ----------------------------------------------------------------------------------


class EventSel(Strict):
    """The rows of an event table a rule counts. With ``consecutive_workdays: N`` the event is instead the
    day a run of matching days reaches N working days in a row (weekends and holidays between them do
    not break the run; a row on a day off is not counted); with ``nth_in_year: N`` it is the N-th
    matching row of a calendar year. Both are read from the facts of the days before the month too."""

    table: str = "incidents"
    where: str
    consecutive_workdays: int | None = Field(None, ge=2, le=20)
    nth_in_year: int | None = Field(None, ge=1, le=366)

    @model_validator(mode="after")
    def _one_derivation(self):
        if self.consecutive_workdays is not None and self.nth_in_year is not None:
            raise ValueError("consecutive_workdays and nth_in_year are two rules: give one per rule")
        return self

    @property
    def derived(self) -> bool:
        return self.consecutive_workdays is not None or self.nth_in_year is not None


class PointsBy(Strict):
    """Points looked up from a column of the event (e.g. severity → points)."""

    column: str
    map: dict[str, Decimal]
    default: Decimal | None = None


class PointsBands(Strict):
    column: str
    bands: list[Band] = Field(min_length=1)


class PointsRule(Strict):
    """Each matching event in the period gives points (after the first ``free`` ones)."""

    id: Ident
    label: Text
    events: EventSel
    free: int = Field(0, ge=0)
    points: Decimal | None = None
    points_by: PointsBy | None = None
    points_bands: PointsBands | None = None
    points_column: str | None = None  # points from a column of the event (× points_rate), e.g. redemptions
    points_rate: NumOrExpr = Decimal(1)
    free_flag: FlagKind | None = "warning"  # what a free occurrence issues
    flags: list[FlagKind] = []  # flags raised by every counted occurrence
    rulebook: str | None = None

    @model_validator(mode="after")
    def _one(self):
        if (
            sum(x is not None for x in (self.points, self.points_by, self.points_bands, self.points_column))
            != 1
        ):
            raise ValueError(
                "a points rule has exactly one of points, points_by, points_bands, points_column"
            )
        return self


class Award(Strict):
    """Points when a condition over the agent's month holds (e.g. at most 2 deductions → +3)."""

    id: Ident
    label: Text
    when: str
    points: NumOrExpr
    rulebook: str | None = None


class RankAward(Strict):
    id: Ident
    label: Text
    rank: RankSpec
    points: list[Decimal] = Field(min_length=1)  # for places 1, 2, 3, …
    titles: dict[int, Ident] = {}  # place → title (e.g. 1: gold_medal)
    when: str | None = None  # who may be ranked
    rulebook: str | None = None


class Points(Strict):
    opening: Decimal
    # when the balance starts again from `opening`: every month, quarter or year, or never
    reset: Literal["month", "quarter", "year", "never"] = "month"
    rules: list[PointsRule] = []
    awards: list[Award] = []
    ranks: list[RankAward] = []


# ---- money: fines and rewards -------------------------------------------------------------------------


class SequenceStep(Strict):
    """What the n-th occurrence brings (1st warning, 2nd ¥200, 3rd dismissal review …)."""

    amount: Decimal | None = Field(None, ge=0)
    bonus_percent: Decimal | None = None  # change of the month bonus (−10 = cut by 10 %)
    warning: bool = False
    flag: FlagKind | None = None


class MoneyRule(Strict):
    """A fine (罚款/乐捐) or reward (奖励) in CNY: per event, per month when a condition holds, or to the
    places of a ranking. Fines and rewards are amounts ≥ 0; ``kind`` says which way they go. A ``when``
    rule with ``consecutive: N`` applies only once its condition held at N check points in a row (a
    streak carried across months, like a flag's)."""

    id: Ident
    label: Text
    kind: Literal["fine", "reward", "offset"]  # offset: a fine paid with points (积分抵扣罚款)
    events: EventSel | None = None
    when: str | None = None
    rank: RankSpec | None = None
    at: Literal["month_end", "quarter_end", "year_end"] = "month_end"  # for `when` and `rank` rules
    consecutive: int = Field(1, ge=1)  # `when` rules: check points in a row the condition must hold
    once_per_streak: bool = False  # with consecutive: only at the N-th check point, not every one after
    amount: NumOrExpr | None = None
    amount_by: PointsBy | None = None  # by a column of the event (e.g. severity)
    amount_bands: PointsBands | None = None  # by a numeric column of the event (e.g. loss, delay)
    amount_column: str | None = None  # a column of the event × amount_rate (e.g. points × ¥ per point)
    amount_rate: NumOrExpr = Decimal(1)
    places: list[Decimal] = []  # rank rules: amounts for places 1, 2, …
    eligible: str | None = None  # rank rules: who may be ranked (e.g. "tickets_handled > 0")
    bonus_percent: NumOrExpr | None = None  # change of the month bonus instead of an amount
    sequence: list[SequenceStep] | None = None  # by occurrence; the last step repeats
    window_months: NumOrExpr | None = (
        None  # occurrences count within this rolling window (default: the month)
    )
    flags: list[FlagKind] = []
    rulebook: str | None = None

    @model_validator(mode="after")
    def _shape(self):
        if sum(x is not None for x in (self.events, self.when, self.rank)) != 1:
            raise ValueError("a money rule has exactly one of events, when, rank")
        effects = [
            self.amount,
            self.amount_by,
            self.amount_bands,
            self.amount_column,
            self.bonus_percent,
            self.sequence,
        ]
        if self.rank is not None:
            if not self.places or any(e is not None for e in effects):
                raise ValueError("a rank money rule gives `places` amounts and nothing else")
        elif sum(e is not None for e in effects) != 1 and not (
            self.flags and all(e is None for e in effects)
        ):
            raise ValueError(
                "give exactly one of amount, amount_by, amount_bands, amount_column, bonus_percent, sequence"
            )
        if self.events is None and (
            self.amount_by or self.amount_bands or self.amount_column or self.sequence
        ):
            raise ValueError("amount_by, amount_bands, amount_column and sequence apply to events")
        if self.consecutive > 1 and self.when is None:
            raise ValueError("consecutive applies to `when` rules (a condition held months in a row)")
        _check_once(self.consecutive, self.once_per_streak)
        return self


def _check_once(consecutive: int, once: bool) -> None:
    if once and consecutive < 2:
        raise ValueError("once_per_streak needs consecutive: 2 or more")


# ---- team rules -------------------------------------------------------------------------------------


class TeamRule(Strict):
    """A rule over teams: a condition on the team's pooled metrics (``team.<metric>``), held at
    ``consecutive`` check points in a row, or the first ``places`` of a ranking of teams. It raises a
    flag on the team and its lead, and may give each member points or money, or the team an amount."""

    id: Ident
    label: Text
    when: str | None = None
    rank: RankKey | None = None  # rank teams by one pooled metric
    places: int = Field(1, ge=1)
    at: Literal["month_end", "quarter_end", "year_end"] = "month_end"
    consecutive: int = Field(1, ge=1)
    flag: FlagKind | None = None
    member_points: Decimal | None = None
    member_amount: Decimal | None = Field(None, ge=0)
    team_amount: Decimal | None = Field(None, ge=0)
    rulebook: str | None = None

    @model_validator(mode="after")
    def _one(self):
        if (self.when is None) == (self.rank is None):
            raise ValueError("a team rule has exactly one of when, rank")
        return self


# ---- warning ladders --------------------------------------------------------------------------------


class LadderLevel(Strict):
    id: Ident  # e.g. verbal, written, final, dismissal
    label: Text
    fine: Decimal = Field(Decimal(0), ge=0)  # 乐捐 per warning of this level
    convert: int | None = Field(None, ge=2)  # this many active records make one of the next level
    flag: FlagKind | None = None  # a level that raises a flag instead of a warning (e.g. dismissal review)
    window_months: NumOrExpr | None = None  # how long a record of this level counts (default: the ladder's)
    suspend_months: int | None = Field(None, ge=1)  # a suspension level: no duties for the next N months


class Offence(Strict):
    id: Ident
    label: Text
    level: Ident
    events: EventSel
    count: int = Field(1, ge=1)  # records of its level each offence issues (S4: absence = 2 warnings)
    rulebook: str | None = None


class Ladder(Strict):
    """Offences → warnings of a level → conversion upward within a rolling window."""

    window_months: NumOrExpr = Decimal(12)
    levels: list[LadderLevel] = Field(min_length=1)
    offences: list[Offence] = Field(min_length=1)
    after_final: FlagKind | None = "dismissal_review"  # a new offence under an active final warning
    conversion_fines: bool = False  # whether a converted warning is fined again

    @model_validator(mode="after")
    def _levels(self):
        ids = [lv.id for lv in self.levels]
        if len(set(ids)) != len(ids):
            raise ValueError("ladder level ids must be unique")
        for o in self.offences:
            if o.level not in ids:
                raise ValueError(f"offence {o.id!r}: unknown level {o.level!r} (levels: {', '.join(ids)})")
        for lv in self.levels:
            if lv.flag and lv.fine:
                raise ValueError(f"level {lv.id!r} raises a flag: it has no fine")
            if lv.suspend_months and lv.flag != "suspension":
                raise ValueError(f"level {lv.id!r}: suspend_months goes with flag: suspension")
        return self


# ---- level ladders and the service fee ----------------------------------------------------------------


class LevelRow(Strict):
    """One level of a monthly level ladder (lowest first). Promotion next month needs every ``promote``
    criterion of the current level to hold this month; demotion next month needs any one ``demote``."""

    id: Ident
    label: Text
    promote: list[str] = []
    demote: list[str] = []
    invite_only: bool = False  # not reached automatically from the level below: only by invitation
    fee_factor: Decimal | None = None


class Levels(Strict):
    rows: list[LevelRow] = Field(min_length=2)
    initial: Ident | None = None  # the level of an agent with none (default: agents.level, else the lowest)

    @model_validator(mode="after")
    def _ids(self):
        ids = [r.id for r in self.rows]
        if len(set(ids)) != len(ids):
            raise ValueError("level ids must be unique")
        if self.initial and self.initial not in ids:
            raise ValueError(f"initial level {self.initial!r} is not a level")
        return self


class Fee(Strict):
    """The month's service fee (劳务费) of cloud agents, settled per natural month and paid by a day of
    the next month, moved to a working day (Chinese calendar with 调休)."""

    amount: str  # expression, e.g. "agent.base_bonus * level.fee_factor"
    pay_day: int = Field(10, ge=1, le=28)
    holiday_shift: Literal["before", "after"] = "before"  # 提前 or 顺延
    round_to: Decimal = Decimal("0.01")


# ---- grades and bonus -------------------------------------------------------------------------------


class GradeBand(Strict):
    grade: str
    min: Decimal | None = None  # score ≥ min
    percent: Decimal | None = None  # percent of performance pay
    coefficient: Decimal | None = None
    label: Text | None = None


class AbsoluteGrading(Strict):
    mode: Literal["absolute"]
    on: str = "score"
    bands: list[GradeBand] = Field(min_length=1)
    otherwise: GradeBand

    @field_validator("bands")
    @classmethod
    def _descending(cls, v):
        mins = [b.min for b in v]
        if any(m is None for m in mins) or mins != sorted(mins, reverse=True):
            raise ValueError("grade bands need a min each, from the highest to the lowest")
        return v


class Quota(Strict):
    grade: str
    share: Decimal = Field(ge=0, le=1)
    coefficient: Decimal | None = None
    percent: Decimal | None = None
    label: Text | None = None


class ForcedGrading(Strict):
    """Forced distribution: shares of each team by rank (largest-remainder rounding)."""

    mode: Literal["forced"]
    scope: Literal["team", "all"] = "team"
    quotas: list[Quota] = Field(min_length=1)
    tie_break: list[RankKey] = []

    @field_validator("quotas")
    @classmethod
    def _sum_one(cls, v):
        if sum(q.share for q in v) != 1:
            raise ValueError("the quota shares must add up to exactly 1")
        return v


Grading = Annotated[AbsoluteGrading | ForcedGrading, Field(discriminator="mode")]


class CutBand(Strict):
    min: Decimal | None = None
    max: Decimal | None = None  # [min, max)
    percent: NumOrExpr  # change of the base in percent (−10 = cut by 10 %), or a parameter


class Cuts(Strict):
    on: str = "points.closing"
    bands: list[CutBand] = Field(min_length=1)


class PerPoint(Strict):
    on: str = "points.closing"
    above: NumOrExpr
    percent: NumOrExpr  # percent of the base per whole point above


class Bonus(Strict):
    base: str = "agent.base_bonus"
    factor: str | None = None  # e.g. "grade.percent / 100", "grade.coefficient", "score / 100"
    cuts: Cuts | None = None
    per_point: PerPoint | None = None
    floor_zero: bool = True
    round_to: Decimal = Decimal("0.01")


class FlagRule(Strict):
    """Raise ``flag`` when ``when`` holds at a check point (each month end, or only quarter or year
    ends), at ``consecutive`` check points in a row (a streak carried across months). ``amount`` is what
    the flag proposes (e.g. a base salary raise): shown with it, never paid by the engine."""

    id: Ident
    flag: FlagKind
    when: str
    label: Text
    at: Literal["month_end", "quarter_end", "year_end"] = "month_end"
    consecutive: int = Field(1, ge=1)
    once_per_streak: bool = False  # only at the N-th check point in a row, not every one after it
    amount: NumOrExpr | None = None  # CNY, e.g. param.streak3_raise
    rulebook: str | None = None

    @model_validator(mode="after")
    def _once(self):
        _check_once(self.consecutive, self.once_per_streak)
        return self


# ---- the policy ---------------------------------------------------------------------------------------


class Policy(Strict):
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")  # rulebook id, e.g. S5
    name: Ident  # descriptive name, e.g. after_sales_kpi
    version: int = Field(1, ge=1)
    title: Text
    description: Text
    rulebook: str | None = None
    period: Literal["month"] = "month"
    population: str | None = None  # which agents are assessed, e.g. "agent.role == 'after_sales'"
    parameters: dict[str, Param] = {}
    metrics: dict[str, MetricDef] = {}
    scorecard: Scorecard | None = None
    points: Points | None = None
    ladder: Ladder | None = None
    money: list[MoneyRule] = []
    levels: Levels | None = None
    fee: Fee | None = None
    teams: list[TeamRule] = []
    grading: Grading | None = None
    bonus: Bonus | None = None
    flags: list[FlagRule] = []

    @field_validator("parameters", mode="before")
    @classmethod
    def _bare_params(cls, v):
        if isinstance(v, dict):
            return {k: (p if isinstance(p, dict) else {"value": p}) for k, p in v.items()}
        return v

    @model_validator(mode="after")
    def _something(self):
        if not (self.scorecard or self.points or self.ladder or self.money or self.levels):
            raise ValueError("a policy has a scorecard, a points budget, a warning ladder or money rules")
        return self

    @model_validator(mode="after")
    def _streak_ids(self):
        # flag and money streaks are carried under the rule's id in the same state: one id, one streak
        seen: set[str] = set()
        for r in [*self.flags, *self.money]:
            if r.consecutive > 1:
                if r.id in seen:
                    raise ValueError(
                        f"two rules with consecutive use the id {r.id!r}: their streaks would mix"
                    )
                seen.add(r.id)
        return self


RankSpec.model_rebuild()
