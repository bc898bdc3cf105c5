"""The same shop as UTF-8 CSV, GB18030 CSV (Chinese Excel), an XLSX workbook and Parquet gives the
same assessment, number for number."""

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from merit.engine.api import assess_package
from merit.engine.package import load_package
from merit.engine.policy.load import load_policy
from merit.engine.synth import synth

SHOP = Path(__file__).resolve().parents[2] / "sample_data" / "shop"


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    root = tmp_path_factory.mktemp("formats")
    gbk = root / "gbk"
    gbk.mkdir()
    wb = Workbook(write_only=True)
    for f in sorted(SHOP.glob("*.csv")):
        text = f.read_text("utf-8")
        (gbk / f.name).write_bytes(text.encode("gb18030"))
        ws = wb.create_sheet(f.stem)
        for row in csv.reader(text.splitlines()):
            ws.append(row)
    wb.save(root / "shop.xlsx")
    # the sample's own generator command, in Parquet
    synth(root / "parquet", agents=30, months=6, seed=42, start="2026-01", fmt="parquet", scale=0.1)
    paths = {"csv": SHOP, "gbk": gbk, "xlsx": root / "shop.xlsx", "parquet": root / "parquet"}
    return {name: load_package(path) for name, path in paths.items()}  # each read once


@pytest.mark.parametrize("policy", ["S1", "S5", "S4"])
def test_every_format_gives_the_same_result(copies, policy):
    lp = load_policy(policy)
    base, _ = assess_package(copies["csv"], lp, ["2026-02", "2026-03"])
    for name in ("gbk", "xlsx", "parquet"):
        doc, _ = assess_package(copies[name], lp, ["2026-02", "2026-03"])
        assert doc["periods"] == base["periods"], name
