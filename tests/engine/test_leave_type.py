"""Attendance rows of status leave may say which leave (leave_type); packages without the column load."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from merit.engine import tables as T
from merit.engine.package import PackageError, load_package

TEAMS = [["team_id", "name"], ["T1", "售前一组"]]
AGENTS = [["agent_id", "name", "team_id", "role"], ["li", "李雷", "T1", "pre_sales"]]


def _package(folder: Path, attendance: list[list[str]]) -> Path:
    folder.mkdir(parents=True)
    for name, rows in (("teams", TEAMS), ("agents", AGENTS), ("attendance", attendance)):
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
    return folder


def test_leave_type_is_read(tmp_path):
    package = load_package(
        _package(
            tmp_path / "p",
            [
                ["agent_id", "date", "status", "leave_type"],
                ["li", "2026-03-02", "leave", "sick"],
                ["li", "2026-03-03", "leave", "family_visit"],
                ["li", "2026-03-04", "present", ""],
            ],
        )
    )
    got = package.con.execute('SELECT status, leave_type FROM attendance ORDER BY "date"').fetchall()
    assert got == [("leave", "sick"), ("leave", "family_visit"), ("present", None)]


def test_a_package_without_the_column_still_loads(tmp_path):
    package = load_package(
        _package(tmp_path / "p", [["agent_id", "date", "status"], ["li", "2026-03-02", "leave"]])
    )
    assert package.con.execute("SELECT status, leave_type FROM attendance").fetchall() == [("leave", None)]


def test_an_unknown_leave_type_is_a_problem(tmp_path):
    with pytest.raises(PackageError) as info:
        load_package(
            _package(
                tmp_path / "p",
                [["agent_id", "date", "status", "leave_type"], ["li", "2026-03-02", "leave", "holiday"]],
            )
        )
    [problem] = info.value.problems
    assert (problem.table, problem.column) == ("attendance", "leave_type")


def test_the_contract_lists_the_leave_types():
    assert T.LEAVE_TYPES == ("sick", "personal", "maternity", "family_visit", "marriage", "annual", "other")
    assert "leave_type" in T.TABLES["attendance"].column_names
