"""The generator's parameters: volumes, shares and distributions, and the seeded random streams."""

from __future__ import annotations

import numpy as np

ROW_GROUP = 1_000_000
SHANGHAI_UTC_OFFSET_S = 8 * 3600
DAY_S = 86400
SHIFT_HOURS = 9  # shifts start at 09:00 or 14:00 local, so every event lies within 09:00-23:00

# Mean events per agent and month at scale=1.0 (``scale`` multiplies the first four).
VOLUME = {"chats": 1500.0, "tickets": 300.0, "ratings": 140.0, "refunds": 40.0}
QA_PER_MONTH = 8.0
INCIDENTS_PER_MONTH = 2.0
EXAM_SHARE = 0.3
MANUAL_ITEMS = ("communication", "attitude", "teamwork", "supervisor_rating")
SUPERVISOR_RATINGS = ((100, "优秀"), (80, "良好"), (70, "合格"), (50, "较差"))
# Industry averages and other reference values: (metric, typical value, relative month-to-month noise).
BENCHMARKS = (
    ("refund_dispute_rate", 0.02, 0.08),
    ("refund_completion_days", 1.5, 0.05),
    ("refund_self_completion_rate", 0.995, 0.001),
    ("dsr", 4.7, 0.004),
    ("complaint_rate", 0.01, 0.08),
    ("first_response_s", 20.0, 0.05),
)
EXAMS = ("product_knowledge", "service_rules", "platform_rules")
LEVELS = ("L1", "L2", "L3", "L4")

# Role mix of the teams and how each role's workload leans (normalized per table afterwards).
ROLE_P = (0.45, 0.40, 0.15)  # pre_sales, after_sales, cloud
ROLE_LOAD = {
    "chats": (1.35, 0.55, 1.10),
    "tickets": (0.35, 1.90, 0.60),
    "ratings": (1.00, 1.00, 1.00),
    "refunds": (0.30, 2.00, 0.50),
}
ROLE_TEAM_PREFIX = ("售前", "售后", "云客服")
EMPLOYMENT_P = {0: (0.82, 0.12, 0.06), 1: (0.82, 0.12, 0.06), 2: (0.10, 0.15, 0.75)}

TICKET_KIND_P = (0.22, 0.18, 0.10, 0.05, 0.06, 0.06, 0.20, 0.10, 0.03)  # order of tables.TICKET_KINDS
CHANNEL_P = (0.45, 0.15, 0.05, 0.20, 0.15)  # order of tables.CHANNELS
RATING_SOURCE_P = (0.50, 0.35, 0.15)  # survey, review, dsr
RATING_BASE_P = (0.02, 0.01, 0.04, 0.15)  # scores 1..4; the rest is 5
INCIDENT_P = {
    "complaint.attitude": 20,
    "complaint.rights": 3,
    "complaint.other": 3,
    "error.order_note": 12,
    "error.order": 8,
    "error.reissue": 6,
    "error.gift": 5,
    "error.price_cut": 4,
    "error.major": 0.7,
    "error.loss": 5,
    "shirking": 4,
    "discipline.distraction": 6,
    "praise.named": 15,
    "praise.solicited": 1,
    "suggestion.adopted": 4,
    "issue.reported": 3,
    "partner.untracked": 2,
    "info_leak": 0.3,
}
SEVERITIES = ("minor", "moderate", "serious")
POSITIVE_KINDS = ("praise.named", "suggestion.adopted", "issue.reported")

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程")
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉玲晶婷雪琳宇浩凯欣怡佳雨思涵子轩梓晨"
)

# Stable codes for the per-table random streams (never reorder: they make the output).
_STREAMS = ("roster", "attendance", "chats", "tickets", "ratings", "refunds", "qa_reviews", "incidents")
_STREAMS += ("exams", "sales", "manual_scores", "benchmarks", "drift", "redemptions")
_STREAM = {name: i for i, name in enumerate(_STREAMS)}


def _rng(seed: int, stream: str, month: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAM[stream], month])
