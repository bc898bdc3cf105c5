"""The data package contract (docs/data-package.md): tables, columns, types and value rules.

This module is the single source of truth for what a package may hold; the loader, the validator,
the synthetic generator and the metric catalogue all read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

# Column types. Each maps to one DuckDB type once loaded (see TYPE_SQL).
ID = "id"  # text identifier
TEXT = "text"
INT = "int"  # whole number (counts, seconds)
DECIMAL = "decimal"  # money and scores: exact decimals, never floats
BOOL = "bool"
TIMESTAMP = "timestamp"  # ISO 8601; no zone = Asia/Shanghai; stored as UTC
DATE = "date"
PERIOD = "period"  # YYYY-MM

TYPE_SQL = {
    ID: "VARCHAR",
    TEXT: "VARCHAR",
    INT: "BIGINT",
    DECIMAL: "DECIMAL(18,4)",
    BOOL: "BOOLEAN",
    TIMESTAMP: "TIMESTAMP",
    DATE: "DATE",
    PERIOD: "VARCHAR",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    min: Decimal | None = None
    max: Decimal | None = None
    # The column names an agent who must exist in the agents table.
    agent_ref: bool = False
    # An optional column added to the contract later: a row's digest (merit.facts.io.table_digest)
    # includes it only when it holds a value, so facts of before keep their fingerprint.
    added: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # natural key: must be unique within the package
    time: str | None = None  # the column that places a row in a period
    label_zh: str = ""
    required: bool = False  # the package must contain this table
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name, type_, required=False, **kw) -> Column:
    return Column(name, type_, required, **kw)


ZERO = Decimal(0)
ROLES = ("pre_sales", "after_sales", "cloud")
EMPLOYMENT = ("regular", "probation", "part_time")
TICKET_KINDS = (
    "refund",
    "return",
    "exchange",
    "repair",
    "complaint",
    "invoice",
    "logistics",
    "inquiry",
    "other",
)
CHANNELS = ("chat", "phone", "email", "app", "wechat")
PRIORITIES = ("urgent", "high", "normal")  # 紧急 / 高 / 普通 (SLA targets per priority)
RATING_SOURCES = ("survey", "review", "dsr")
ATTENDANCE_STATUS = ("present", "late", "early_leave", "absent", "leave")
# 请假类型 of a row with status leave (optional): S3's excellent employee excludes sick and personal leave
# and maternity leave, and allows family-visit, marriage and annual leave.
LEAVE_TYPES = ("sick", "personal", "maternity", "family_visit", "marriage", "annual", "other")
REDEMPTION_KINDS = ("prize", "fine_offset")  # 积分兑换奖品 / 积分抵扣罚款

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "agents",
            (
                _c("agent_id", ID, True),
                _c("name", TEXT, True),
                _c("team_id", ID, True),
                _c("role", TEXT, True, choices=ROLES),
                _c("employment", TEXT, choices=EMPLOYMENT),
                _c("hired_on", DATE),
                _c("level", TEXT),
                _c("base_bonus", DECIMAL, min=ZERO),
            ),
            key=("agent_id",),
            label_zh="客服",
            required=True,
        ),
        Table(
            "teams",
            (_c("team_id", ID, True), _c("name", TEXT, True), _c("lead_agent_id", ID)),
            key=("team_id",),
            label_zh="团队",
            required=True,
        ),
        Table(
            "tickets",
            (
                _c("ticket_id", ID, True),
                _c("agent_id", ID, True, agent_ref=True),
                _c("kind", TEXT, True, choices=TICKET_KINDS),
                _c("channel", TEXT, choices=CHANNELS),
                _c("created_at", TIMESTAMP, True),
                _c("first_response_at", TIMESTAMP),
                _c("resolved_at", TIMESTAMP),
                _c("closed_at", TIMESTAMP),
                _c("reopened", BOOL),
                _c("transfers", INT, min=ZERO),
                # Extension (the ticket desk, docs/desk.md): priority, SLA outcome and clock pauses.
                _c("priority", TEXT, choices=PRIORITIES),
                _c("first_response_breached", BOOL),
                _c("resolution_breached", BOOL),
                _c("first_response_exempted", BOOL),
                _c("resolution_exempted", BOOL),
                _c("paused_s", INT, min=ZERO),
                _c("reopen_count", INT, min=ZERO),
            ),
            key=("ticket_id",),
            time="created_at",
            label_zh="工单",
        ),
        Table(
            "chats",
            (
                _c("chat_id", ID, True),
                _c("agent_id", ID, True, agent_ref=True),
                _c("started_at", TIMESTAMP, True),
                _c("first_response_s", INT, min=ZERO),
                _c("avg_response_s", INT, min=ZERO),
                _c("replied", BOOL),
                _c("inquiry", BOOL),
                _c("converted", BOOL),
                _c("order_amount", DECIMAL, min=ZERO),
            ),
            key=("chat_id",),
            time="started_at",
            label_zh="咨询会话",
        ),
        Table(
            "ratings",
            (
                _c("rating_id", ID, True),
                _c("agent_id", ID, True, agent_ref=True),
                _c("at", TIMESTAMP, True),
                _c("score", DECIMAL, True, min=Decimal(1), max=Decimal(5)),
                _c("source", TEXT, choices=RATING_SOURCES),
                _c("named_praise", BOOL),
                _c("solicited", BOOL),
            ),
            key=("rating_id",),
            time="at",
            label_zh="评价",
        ),
        Table(
            "refunds",
            (
                _c("refund_id", ID, True),
                _c("agent_id", ID, True, agent_ref=True),
                _c("requested_at", TIMESTAMP, True),
                _c("completed_at", TIMESTAMP),
                _c("amount", DECIMAL, min=ZERO),
                _c("disputed", BOOL),
                _c("self_completed", BOOL),
            ),
            key=("refund_id",),
            time="requested_at",
            label_zh="退款",
        ),
        Table(
            "qa_reviews",
            (
                _c("review_id", ID, True),
                _c("agent_id", ID, True, agent_ref=True),
                _c("at", TIMESTAMP, True),
                _c("score", DECIMAL, True, min=ZERO, max=Decimal(100)),
                _c("critical_fail", BOOL),
            ),
            key=("review_id",),
            time="at",
            label_zh="质检",
        ),
        Table(
            "attendance",
            (
                _c("agent_id", ID, True, agent_ref=True),
                _c("date", DATE, True),
                _c("status", TEXT, True, choices=ATTENDANCE_STATUS),
                _c("minutes_late", INT, min=ZERO),
                _c("shift_start", TIMESTAMP),
                _c("leave_filed_at", TIMESTAMP),
                _c("leave_type", TEXT, choices=LEAVE_TYPES, added=True),
            ),
            key=("agent_id", "date"),
            time="date",
            label_zh="考勤",
        ),
        Table(
            "incidents",
            (
                _c("incident_id", ID, True),
                _c("agent_id", ID, True, agent_ref=True),
                _c("at", TIMESTAMP, True),
                _c("kind", TEXT, True),
                _c("severity", TEXT),
                _c("loss_amount", DECIMAL, min=ZERO),
                _c("note", TEXT),
            ),
            key=("incident_id",),
            time="at",
            label_zh="奖惩事件",
        ),
        Table(
            "sales",
            (
                _c("period", PERIOD, True),
                _c("agent_id", ID, agent_ref=True),
                _c("order_amount", DECIMAL, min=ZERO),
                _c("returns_amount", DECIMAL, min=ZERO),
                _c("after_sales_cost", DECIMAL, min=ZERO),
                # Extension: customers served and lost in the period, for the churn rate (客户流失率).
                _c("customers", INT, min=ZERO),
                _c("lost_customers", INT, min=ZERO),
            ),
            key=("period", "agent_id"),
            time="period",
            label_zh="销售",
        ),
        Table(
            "manual_scores",
            (
                _c("agent_id", ID, True, agent_ref=True),
                _c("period", PERIOD, True),
                _c("item", ID, True),
                _c("score", DECIMAL, True, min=ZERO),
                _c("by", TEXT),
                _c("note", TEXT),
            ),
            key=("agent_id", "period", "item"),
            time="period",
            label_zh="主管评分",
        ),
        Table(
            "benchmarks",
            (_c("period", PERIOD, True), _c("metric", ID, True), _c("value", DECIMAL, True)),
            key=("period", "metric"),
            time="period",
            label_zh="行业均值",
        ),
        Table(
            "redemptions",
            (
                _c("redemption_id", ID, True),
                _c("agent_id", ID, True, agent_ref=True),
                _c("at", TIMESTAMP, True),
                _c("points", INT, True, min=ZERO),
                _c("kind", TEXT, True, choices=REDEMPTION_KINDS),
                _c("note", TEXT),
            ),
            key=("redemption_id",),
            time="at",
            label_zh="积分兑换",
        ),
        Table(
            "exams",
            (
                _c("agent_id", ID, True, agent_ref=True),
                _c("at", TIMESTAMP, True),
                _c("exam", ID, True),
                _c("score", DECIMAL, True, min=ZERO, max=Decimal(100)),
                _c("passed", BOOL),
            ),
            key=("agent_id", "exam", "at"),
            time="at",
            label_zh="考试",
        ),
    )
}

# Incident kinds the presets use (a policy may add its own; docs/data-package.md lists them).
INCIDENT_KINDS = {
    "complaint.attitude": "服务态度投诉 / attitude complaint",
    "complaint.rights": "维权投诉 / rights claim",
    "complaint.other": "其他投诉 / other complaint",
    "error.order_note": "备注不清 / order note missing or unclear",
    "error.order": "整单错误 / whole-order error",
    "error.reissue": "补发单错误 / reissue-order error",
    "error.gift": "赠品单错误 / gift-order error",
    "error.price_cut": "私自降价 / unauthorized price cut",
    "error.major": "重大失误 / major error with major loss",
    "error.loss": "造成损失的失误 / error causing customer loss",
    "shirking": "推卸责任 / shirking one's own dispute",
    "discipline.distraction": "上班玩游戏/看电影/小说 / games, films or novels at work",
    "praise.named": "点名表扬 / praised by name",
    "praise.solicited": "索要好评 / asked a customer for praise",
    "suggestion.adopted": "建议被采纳 / adopted suggestion",
    "praise.solved": "问题解决得又快又好 / problem solved quickly and well (severity = difficulty: easy, medium, hard)",
    "training.progress": "参加培训并有明显进步 / training attended with measurable progress",
    "issue.reported": "及时上报重大问题 / major problem reported in time",
    "partner.untracked": "合作商家售后未跟进到底 / partner-merchant case not tracked to the end",
    "info_leak": "泄露客户信息 / leaked customer data",
    "misleading": "误导消费者 / misleading consumers",
    "praise.written": "客户书面表扬 / written praise from a customer",
    "procedure.breach": "违反工作流程 / breaking procedure",
    "improvement.adopted": "流程改进被采纳 / process improvement adopted (severity: minor, major)",
    "service.fault": "服务过失 / service fault (severity: serious = stopped, major = qualification cancelled)",
    "exam.cheating": "考试代考或作弊 / exam taken by proxy or cheating",
    "performance.faked": "绩效作假 / faked performance",
    "service_rule.1": "违反服务制度第1条 / breaking service rule 1 (likewise service_rule.2 … service_rule.8)",
}
