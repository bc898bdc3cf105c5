"""Period ranges on a synthetic year: every preset runs Jan..Dec, and a range equals month-by-month
runs that pass the state along."""

import pytest

from merit.engine.api import assess_package
from merit.engine.metrics.compute import Period
from merit.engine.package import load_package
from merit.engine.policy.load import load_policy, parse_policy, preset_files
from merit.engine.results import canonical
from merit.engine.state import state_from_results
from merit.engine.synth import synth

PRESETS = sorted(parse_policy(text, name).policy.id for name, text in preset_files().items())


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    out = tmp_path_factory.mktemp("year")
    synth(out, agents=45, months=12, seed=11, fmt="parquet", start="2026-01", scale=0.03)
    return load_package(out)


def test_all_presets_are_covered():
    assert {"S1", "S2", "S3", "S4", "S5", "S6", "S6-FD", "S7", "S8", "S9", "S10"} <= set(PRESETS)


@pytest.mark.parametrize("pid", PRESETS)
def test_a_year_runs_and_equals_months_passed_along(year, pid):
    policy = load_policy(pid)
    doc, _ = assess_package(year, policy, [f"2026-{m:02d}" for m in range(1, 13)])
    assert [p["period"] for p in doc["periods"]] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert all(p["agents"] for p in doc["periods"])
    # months 6..9 assessed alone, each from the state the month before left in the range's results
    for i in range(5, 9):
        before = {**doc, "periods": doc["periods"][:i]}
        state = state_from_results(before, policy.sha256, Period.parse(doc["periods"][i]["period"]))
        alone, _ = assess_package(year, policy, [doc["periods"][i]["period"]], state)
        assert canonical(alone["periods"][0]) == canonical(doc["periods"][i]), (pid, i + 1)
        for a_range, a_alone in zip(doc["periods"][i]["agents"], alone["periods"][0]["agents"], strict=True):
            assert (
                a_alone["state_in"]
                == doc["periods"][i - 1]["agents"][
                    [x["agent_id"] for x in doc["periods"][i - 1]["agents"]].index(a_range["agent_id"])
                ]["state_out"]
            )
