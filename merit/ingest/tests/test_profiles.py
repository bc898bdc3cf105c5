"""Column-mapping profiles: Chinese platform exports mapped onto the package, values converted, problems
pointing at the export's own rows and headers."""

# Naive datetimes on purpose: Excel cells carry no zone (Shanghai wall time), DuckDB's TIMESTAMP holds UTC.
# ruff: noqa: DTZ001

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

import pytest

from merit.engine.package import PackageError, load_package
from merit.engine.package.profiles import ProfileError, load_profile, parse_profile, profile_names
from merit.engine.package.values import BadValue, days, duration, money, percent, period, timestamp, yes_no
from merit.facts.models import Benchmark, Chat, Refund, Ticket
from merit.ingest.actions import run_import, submit_import
from merit.ingest.models import ImportState
from merit.ingest.tests.files import csv_bytes, workbook_bytes, zip_bytes

# ---- values (no database) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("65", "65"),
        ("65秒", "65"),
        ("1分5秒", "65"),
        ("1分钟5秒", "65"),
        ("00:01:05", "65"),
        ("01:05", "65"),
        ("1小时2分", "3720"),
        ("1时2分3秒", "3723"),
        ("2天3小时", "183600"),
        ("1.5h", "5400"),
        ("12.4", "12"),
        ("0", "0"),
    ],
)
def test_durations_in_seconds(text, seconds):
    assert duration(text) == seconds


@pytest.mark.parametrize("text", ["abc", "1分x秒", "1:75:00", "-5秒", "秒"])
def test_unreadable_durations(text):
    with pytest.raises(BadValue, match="not a duration"):
        duration(text)


def test_other_conversions():
    assert [yes_no(w) for w in ("是", "否", "Y", "n", "已转化", "未转化", "TRUE", "0")] == [
        "true", "false", "true", "false", "true", "false", "true", "false",
    ]  # fmt: skip
    assert yes_no("纠纷", yes=("纠纷",)) == "true"
    with pytest.raises(BadValue):
        yes_no("maybe")
    assert percent("45.2%") == "0.452"
    assert percent("45.25 %") == "0.4525"
    assert percent("0.452") == "0.452"
    assert money("¥1,234.50") == "1234.5"
    assert money("￥12元") == "12"
    assert days("3.5天") == "3.5"
    assert days("84小时") == "3.5"
    assert days("2") == "2"
    assert timestamp("2026年3月5日 10:15") == "2026-03-05 10:15"
    assert timestamp("2026.03.05 10:15:30") == "2026-03-05 10:15:30"
    assert period("2026年3月") == period("2026/3") == period("2026-03-01") == "2026-03"


def test_profiles_ship_and_unknown_ones_are_named():
    assert {
        "qianniu_chats",
        "taobao_refunds",
        "jd_dongdong_chats",
        "aftersales_tickets",
        "industry_benchmarks",
    } <= set(profile_names())
    with pytest.raises(ProfileError, match="unknown profile 'nope'; profiles: aftersales_tickets"):
        load_profile("nope")


def test_a_bad_profile_file_names_the_line():
    text = "name: x\ntables:\n  chats:\n    columns:\n      chat_idd: [会话ID]\n      agent_id: {from: 客服, convert: magic}\n"
    with pytest.raises(ProfileError) as e:
        parse_profile(text, "x.yaml")
    assert "line 5" in str(e.value) and "no column 'chat_idd'" in str(e.value)
    assert "line 6" in str(e.value) and "unknown convert 'magic'" in str(e.value)


QIANNU_HEADER = [
    "客服昵称",
    "会话ID",
    "接待时间",
    "首次响应时长",
    "平均响应时长",
    "是否询单",
    "是否转化",
    "下单金额",
    "备注",
]


def _qianniu_rows(bad: bool = False) -> list[list]:
    return [
        ["千牛接待明细报表"],  # a title above the header, as the export writes it
        ["统计时间：2026-03-01 至 2026-03-31"],
        QIANNU_HEADER,
        ["li", "S1", datetime(2026, 3, 1, 10, 0), "15秒", time(0, 1, 5), "是", "已转化", "¥1,234.50", "x"],
        ["wang", "S2", "2026年3月2日 11:30", "00:01:05", 65, "否", "未转化", 0, None],
        [
            "wang",
            "S3",
            "2026/3/3 09:00",
            "abc" if bad else "1分",
            "1小时2分",
            "是",
            "maybe" if bad else "N",
            5,
            None,
        ],
        [],
        ["合计", None, None, None, None, None, None, "1,239.50", None],
    ]


def test_a_chinese_export_loads_through_a_profile_without_a_database(tmp_path):
    (tmp_path / "agents.csv").write_text(
        "agent_id,name,team_id,role\nli,李明,T1,pre_sales\nwang,王芳,T1,pre_sales\n"
    )
    (tmp_path / "teams.csv").write_text("team_id,name\nT1,售前一组\n")
    (tmp_path / "接待明细_202603.xlsx").write_bytes(workbook_bytes({"Sheet1": _qianniu_rows(bad=True)}))
    with pytest.raises(PackageError) as e:
        load_package(tmp_path, profile="qianniu_chats")
    assert {(p.table, p.row, p.column, p.value) for p in e.value.problems} == {
        ("chats", 6, "首次响应时长 (first_response_s)", "abc"),
        ("chats", 6, "是否转化 (converted)", "maybe"),
    }
    (tmp_path / "接待明细_202603.xlsx").write_bytes(workbook_bytes({"Sheet1": _qianniu_rows()}))
    pkg = load_package(tmp_path, profile="qianniu_chats")
    rows = pkg.con.execute(
        "SELECT chat_id, agent_id, started_at, first_response_s, avg_response_s, inquiry, converted, order_amount "
        "FROM chats ORDER BY chat_id"
    ).fetchall()
    assert rows == [
        ("S1", "li", datetime(2026, 3, 1, 2, 0), 15, 65, True, True, Decimal("1234.5")),
        ("S2", "wang", datetime(2026, 3, 2, 3, 30), 65, 65, False, False, Decimal("0")),
        ("S3", "wang", datetime(2026, 3, 3, 1, 0), 60, 3720, True, False, Decimal("5")),
    ]
    assert any("summary row" in n for n in pkg.notices)
    assert any("columns not used: 备注" in n for n in pkg.notices)


# ---- through the import pipeline ---------------------------------------------------------------


def _import(user, files, profile):
    imp = submit_import(user, files, profile, enqueue=False)
    return run_import(imp.pk) if imp.state == ImportState.QUEUED else imp


def test_qianniu_chats_import(world):
    imp = _import(
        world.users["hr"],
        [("接待明细.xlsx", workbook_bytes({"Sheet1": _qianniu_rows(bad=True)}))],
        "qianniu_chats",
    )
    assert imp.state == ImportState.FAILED
    assert {(p["row"], p["column"]) for p in imp.problems} == {
        (6, "首次响应时长 (first_response_s)"),
        (6, "是否转化 (converted)"),
    }
    assert Chat.objects.count() == 0
    imp = _import(
        world.users["hr"], [("接待明细.xlsx", workbook_bytes({"Sheet1": _qianniu_rows()}))], "qianniu_chats"
    )
    assert imp.state == ImportState.SUCCEEDED, imp.problems
    s1 = Chat.objects.get(chat_id="S1")
    assert (s1.agent_id, s1.first_response_s, s1.avg_response_s, s1.inquiry, s1.converted, s1.order_amount) == (
        "li", 15, 65, True, True, Decimal("1234.5"),
    )  # fmt: skip
    assert Chat.objects.count() == 3


def test_taobao_refunds_derive_the_completion_time(world):
    header = ["退款编号", "处理客服", "申请时间", "退款完结时长", "退款金额", "是否纠纷"]
    rows = [
        ["R1", "li", "2026-03-05 10:00:00", "1天2小时", "￥99.00", "否"],
        ["R2", "wang", "2026-03-06 20:30:00", "36小时", "1,200", "纠纷"],
        ["R3", "wang", "2026-03-07 08:00:00", "", "10", "是"],
    ]
    imp = _import(world.users["hr"], [("退款明细.csv", csv_bytes(header, rows, "gbk"))], "taobao_refunds")
    assert imp.state == ImportState.SUCCEEDED, imp.problems
    r1, r2, r3 = Refund.objects.order_by("refund_id")
    assert r1.completed_at == datetime(2026, 3, 6, 4, 0, tzinfo=UTC)  # 3-6 12:00 Shanghai
    assert r2.completed_at == datetime(2026, 3, 8, 0, 30, tzinfo=UTC)  # 3-8 08:30 Shanghai
    assert r3.completed_at is None
    assert (r1.amount, r2.amount, r1.disputed, r2.disputed, r3.disputed) == (
        Decimal("99"), Decimal("1200"), False, True, True,
    )  # fmt: skip


def test_aftersales_tickets_and_industry_benchmarks(world):
    header = ["工单编号", "处理人", "工单类型", "来源渠道", "创建时间", "解决时间", "是否重开", "转交次数"]
    rows = [
        ["G1", "li", "退货退款", "旺旺", "2026-03-01 09:00", "2026-03-01 10:00", "否", "0"],
        ["G2", "wang", "开发票", "电话", "2026-03-02 09:00", "", "是", "2"],
        ["G3", "wang", "奇怪的类型", "", "2026-03-02 09:00", "", "", ""],
    ]
    bench = [
        ["月份", "询单转化率", "退款纠纷率", "退款完结时长", "DSR"],
        ["2026年3月", "45.2%", "0.35%", "3.5天", "4.8"],
    ]
    files = [
        ("售后工单导出.csv", b"\xef\xbb\xbf" + csv_bytes(header, rows)),
        ("行业均值.xlsx", workbook_bytes({"行业均值": bench})),
    ]
    hr = world.users["hr"]
    tickets = _import(hr, files[:1], "aftersales_tickets")
    assert tickets.state == ImportState.SUCCEEDED, tickets.problems
    assert dict(Ticket.objects.values_list("ticket_id", "kind")) == {
        "G1": "return",
        "G2": "invoice",
        "G3": "other",
    }
    assert Ticket.objects.get(ticket_id="G2").channel == "phone"
    assert Ticket.objects.get(ticket_id="G2").reopened is True
    benchmarks = _import(hr, files[1:], "industry_benchmarks")
    assert benchmarks.state == ImportState.SUCCEEDED, benchmarks.problems
    assert dict(Benchmark.objects.values_list("metric", "value")) == {
        "inquiry_conversion": Decimal("0.452"),
        "refund_dispute_rate": Decimal("0.0035"),
        "refund_completion_days": Decimal("3.5"),
        "dsr": Decimal("4.8"),
    }
    assert set(Benchmark.objects.values_list("period", flat=True)) == {"2026-03"}


def test_a_zip_made_on_chinese_windows_keeps_its_file_names(world):
    """Such zips store GBK names without the UTF-8 flag; the export is still recognised by its name."""
    header = ["客服昵称", "会话ID", "接待时间", "首次响应时长"]
    data = csv_bytes(header, [["li", "Z1", "2026-03-01 10:00", "20秒"]], "gbk")
    placeholder = b"XXXXXXXX.csv"
    gbk_name = "接待明细.csv".encode("gbk")
    assert len(placeholder) == len(gbk_name)
    raw = zip_bytes({placeholder.decode(): data, "readme.txt": b"hello"}).replace(placeholder, gbk_name)
    imp = _import(world.users["hr"], [("export.zip", raw)], "qianniu_chats")
    assert imp.state == ImportState.SUCCEEDED, imp.problems
    assert Chat.objects.get(chat_id="Z1").first_response_s == 20
    assert any("接待明细.csv" in n for n in imp.notices)
