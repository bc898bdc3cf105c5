"""The `merit` command as a user runs it: assess every preset, determinism, bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from merit.cli import main
from merit.engine.synth import synth

from .pkg import cli_assess

PRESETS = {
    "S1": None,
    "S5": "after_sales",
    "S6": "pre_sales",
    "S6-FD": "pre_sales",
    "S7": None,
    "S10": "!pre_sales",
}


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pkg")
    synth(out, agents=40, months=2, seed=7, fmt="csv", start="2026-02", scale=0.05)
    return out


def _agents(package: Path) -> dict[str, str]:
    import csv

    with open(package / "agents.csv", encoding="utf-8") as f:
        return {r["agent_id"]: r["role"] for r in csv.DictReader(f)}


@pytest.mark.parametrize("pid", list(PRESETS))
def test_assess_every_preset_gives_a_result_for_every_agent(package, tmp_path, pid):
    out = tmp_path / "out"
    assert (
        main(
            [
                "assess",
                "--data",
                str(package),
                "--policy",
                pid,
                "--period",
                "2026-03",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    doc = json.loads((out / "results.json").read_text("utf-8"))
    role = PRESETS[pid]
    roles = _agents(package)
    if role is None:
        expected = set(roles)
    elif role.startswith("!"):
        expected = {a for a, r in roles.items() if r != role[1:]}
    else:
        expected = {a for a, r in roles.items() if r == role}
    (period,) = doc["periods"]
    assert period["period"] == "2026-03"
    assert {a["agent_id"] for a in period["agents"]} == expected
    for a in period["agents"]:
        assert a["score"] is not None or a["points"] is not None
        for line in a["lines"]:
            assert "explain" in line and "source" in line["explain"]
    assert doc["policy"]["id"] == pid
    assert len(doc["output_sha256"]) == 64 and len(doc["input_sha256"]) == 64


def test_same_input_same_bytes_whatever_the_time_zone_and_hash_seed(package, tmp_path):
    digests = []
    for i, (tz, seed) in enumerate([("UTC", "1"), ("America/Los_Angeles", "12345")]):
        out = tmp_path / f"o{i}"
        env = {**os.environ, "TZ": tz, "PYTHONHASHSEED": seed}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "merit.cli",
                "assess",
                "--data",
                str(package),
                "--policy",
                "S1",
                "--period",
                "2026-02..2026-03",
                "--out",
                str(out),
                "--quiet",
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        digests.append((out / "results.json").read_bytes())
    assert digests[0] == digests[1]
    doc = json.loads(digests[0])
    assert [p["period"] for p in doc["periods"]] == ["2026-02", "2026-03"]


def test_output_hash_is_the_hash_of_the_document(package, tmp_path):
    import hashlib

    out = tmp_path / "o"
    cli_assess(package, out, "2026-03", "S5")
    doc = json.loads((out / "results.json").read_text("utf-8"))
    claimed = doc.pop("output_sha256")
    body = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert hashlib.sha256(body.encode()).hexdigest() == claimed


def _corrupt(src: Path, dst: Path) -> None:
    import shutil

    shutil.copytree(src, dst)
    # one bad date
    lines = (dst / "tickets.csv").read_text("utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("created_at")] = "2026-13-45T99:00:00"
    lines[1] = ",".join(cells)
    # one unknown agent
    cells = lines[2].split(",")
    cells[header.index("agent_id")] = "A99999"
    lines[2] = ",".join(cells)
    (dst / "tickets.csv").write_text("\n".join(lines) + "\n", "utf-8")
    # one missing required column
    rl = (dst / "refunds.csv").read_text("utf-8").splitlines()
    h = rl[0].split(",")
    k = h.index("requested_at")
    (dst / "refunds.csv").write_text(
        "\n".join(",".join(c for j, c in enumerate(line.split(",")) if j != k) for line in rl) + "\n", "utf-8"
    )


def test_corrupted_package_exit_2_lists_exactly_the_problems_and_writes_nothing(package, tmp_path, capsys):
    bad = tmp_path / "bad"
    _corrupt(package, bad)
    out = tmp_path / "out"
    code = main(["assess", "--data", str(bad), "--policy", "S5", "--period", "2026-03", "--out", str(out)])
    assert code == 2
    assert not out.exists()
    from merit.engine.package import PackageError, load_package

    with pytest.raises(PackageError) as e:
        load_package(bad)
    got = {(p.table, p.row, p.column, p.value) for p in e.value.problems}
    assert got == {
        ("tickets", 2, "created_at", "2026-13-45T99:00:00"),
        ("tickets", 3, "agent_id", "A99999"),
        ("refunds", None, "requested_at", None),
    }
    err = capsys.readouterr().err
    assert "3 problem(s)" in err and "A99999" in err


def test_bad_policy_and_period_exit_2(package, tmp_path, capsys):
    assert main(["assess", "--data", str(package), "--policy", "S99", "--period", "2026-03"]) == 2
    assert main(["assess", "--data", str(package), "--policy", "S5", "--period", "2026-3"]) == 2
    assert "no preset or file named 'S99'" in capsys.readouterr().err
    args = ["assess", "--data", str(package), "--policy", "S5", "--period", "2026-03", "--profile", "nope"]
    assert main([*args, "--out", str(tmp_path / "out")]) == 2
    assert "unknown profile 'nope'; profiles: aftersales_tickets" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_month_without_facts_is_refused_unless_allowed(package, tmp_path, capsys):
    # the package holds 2026-02 and 2026-03: May 2027 has no row in any fact table
    out = tmp_path / "out"
    args = ["assess", "--data", str(package), "--policy", "S5", "--period", "2027-05", "--out", str(out)]
    assert main(args) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "2027-05" in err and "has no facts" in err and "--allow-empty" in err
    assert not out.exists()  # nothing written
    # a range with one empty month is refused too, naming that month only
    ranged = ["assess", "--data", str(package), "--policy", "S5", "--period", "2026-03..2026-04"]
    assert main([*ranged, "--quiet"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "2026-04" in err and "2026-03 没有" not in err
    assert main([*args, "--allow-empty", "--quiet"]) == 0
    assert (out / "results.json").exists()


def test_coverage_counts_rows_and_agents_of_the_month(package):
    from merit.engine.coverage import coverage
    from merit.engine.package import load_package

    pkg = load_package(package)
    march, may = coverage(pkg.con, ["2026-03", "2027-05"])
    chats = pkg.con.execute(
        "SELECT count(*) FROM chats WHERE started_at >= TIMESTAMP '2026-02-28 16:00:00' "
        "AND started_at < TIMESTAMP '2026-03-31 16:00:00'"  # March in Asia/Shanghai, stored as UTC
    ).fetchone()[0]
    assert march.rows["chats"] == chats > 0 and not march.empty
    assert 0 < march.agents <= 40
    assert may.empty and may.agents == 0 and set(may.rows.values()) == {0}


def test_policy_list_shows_every_preset_in_both_languages(capsys):
    assert main(["policy", "list"]) == 0
    out = capsys.readouterr().out
    for pid in PRESETS:
        assert pid in out
    assert "月度30分积分制" in out and "Monthly 30-point system" in out


def test_explain_prints_every_number_of_an_agent_with_its_reasons(package, tmp_path, capsys):
    out = tmp_path / "o"
    assert cli_assess(package, out, "2026-03", "S5") == 0
    doc = json.loads((out / "results.json").read_text("utf-8"))
    agent = doc["periods"][0]["agents"][0]
    capsys.readouterr()
    assert main(["explain", str(out / "results.json"), "--agent", agent["agent_id"]]) == 0
    text = capsys.readouterr().out
    assert f"得分 score: {agent['score']}" in text
    for line in agent["lines"]:
        assert f"{line['label']} ({line['item']}): {line['points'] or '—'}" in text
    assert "来源 source:" in text and "规则 rule:" in text
    assert main(["explain", str(out / "results.json"), "--agent", "NOBODY"]) == 2
    assert "NOBODY" in capsys.readouterr().err
