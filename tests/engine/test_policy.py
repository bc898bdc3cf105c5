"""Policies: presets load by id and name; bad policies are refused with the line and the reason."""

import json

import pytest

from merit.engine.policy.load import PolicyError, load_policy, parse_policy, preset_files
from merit.engine.policy.schema import Policy

PRESET_IDS = ["S1", "S5", "S6", "S6-FD", "S7", "S10"]


@pytest.mark.parametrize("pid", PRESET_IDS)
def test_every_preset_is_valid_and_addressable(pid):
    lp = load_policy(pid)
    assert lp.policy.id == pid
    assert load_policy(lp.policy.name).sha256 == lp.sha256  # by descriptive name too
    assert load_policy(pid.lower()).sha256 == lp.sha256
    assert lp.policy.title.zh and lp.policy.title.en


def test_presets_cover_the_single_period_systems():
    ids = set()
    for text in preset_files().values():
        ids.add(parse_policy(text, "x").policy.id)
    assert {"S1", "S5", "S6", "S7", "S10"} <= ids


BASE = """\
id: X1
name: custom
title: {zh: 测试, en: Test}
description: {zh: 测试, en: Test}
scorecard:
  items:
    - id: conv
      label: {zh: 转化, en: Conversion}
      kind: bands
      metric: %s
      bands: [{min: 0.5, points: 10}]
"""


def problems_of(text):
    with pytest.raises(PolicyError) as e:
        parse_policy(text, "custom.yaml")
    return e.value.problems


def test_unknown_metric_is_refused_at_its_line():
    (p,) = problems_of(BASE % "conversion_ratez")
    assert p.line == 10
    assert "unknown metric 'conversion_ratez'" in p.message


def test_unknown_kind_is_refused_at_its_line():
    text = (BASE % "inquiry_conversion").replace("kind: bands", "kind: bandz")
    (p,) = problems_of(text)
    assert p.line == 9
    assert "bandz" in p.message


def test_unknown_column_in_an_event_rule():
    text = """\
id: X2
name: custom
title: {zh: 测试, en: Test}
description: {zh: 测试, en: Test}
points:
  opening: 30
  rules:
    - id: r
      label: {zh: 规则, en: Rule}
      events: {table: incidents, where: "kinds == 'x'"}
      points: -1
"""
    (p,) = problems_of(text)
    assert p.line == 10
    assert "unknown column 'kinds'" in p.message


def test_unsafe_expression_is_refused():
    text = (BASE % "inquiry_conversion").replace(
        "{min: 0.5, points: 10}", "{min: \"__import__('os')\", points: 10}"
    )
    probs = problems_of(text)
    assert any("not allowed" in p.message or "unknown" in p.message for p in probs)


def test_all_problems_reported_at_once():
    text = (BASE % "nope").replace("name: custom", "name: Custom Name").replace("weight", "w")
    probs = problems_of(text)
    assert len(probs) >= 1
    assert any(p.path == "name" and p.line == 2 for p in probs)


def test_yaml_syntax_error_has_a_line():
    (p,) = problems_of("id: X\nname: [unclosed\n")
    assert p.line is not None


def test_forced_shares_must_add_to_one():
    text = (
        (BASE % "inquiry_conversion")
        + """\
grading:
  mode: forced
  quotas:
    - {grade: A, share: 0.5}
    - {grade: B, share: 0.4}
"""
    )
    (p,) = problems_of(text)
    assert "add up to exactly 1" in p.message and p.line == 14


def test_parameter_override_changes_the_hash():
    a = load_policy("S1")
    b = load_policy("S1", {"named_praise_min": "5"})
    assert b.params["named_praise_min"] == 5 and a.sha256 != b.sha256
    with pytest.raises(PolicyError):
        load_policy("S1", {"no_such_param": "1"})


def test_json_schema_is_published(tmp_path):
    from pathlib import Path

    published = Path(__file__).parents[2] / "docs" / "policy.schema.json"
    assert json.loads(published.read_text("utf-8")) == json.loads(
        json.dumps(Policy.model_json_schema(), ensure_ascii=False, sort_keys=True)
    ), "docs/policy.schema.json is stale: run `merit policy schema > docs/policy.schema.json`"


def test_metric_catalogue_doc_is_current():
    from pathlib import Path

    from merit.engine.metrics.docs import render_markdown

    doc = Path(__file__).parents[2] / "docs" / "metrics.md"
    assert doc.read_text("utf-8") == render_markdown(), (
        "docs/metrics.md is stale: run `merit metrics > docs/metrics.md`"
    )


def test_data_package_doc_names_every_table_and_incident_kind():
    from pathlib import Path

    from merit.engine.tables import INCIDENT_KINDS, TABLES

    doc = (Path(__file__).parents[2] / "docs" / "data-package.md").read_text("utf-8")
    for name in TABLES:
        assert f"| `{name}`" in doc, name
    for kind in INCIDENT_KINDS:
        assert f"`{kind}`" in doc, kind


def _rule_with_events(events: str) -> str:
    return f"""\
id: X3
name: custom
title: {{zh: 测试, en: Test}}
description: {{zh: 测试, en: Test}}
points:
  opening: 30
  rules:
    - id: r
      label: {{zh: 规则, en: Rule}}
      events: {events}
      points: -1
"""


def test_a_run_of_working_days_needs_a_table_of_days():
    (p,) = problems_of(
        _rule_with_events("{table: incidents, where: \"kind == 'x'\", consecutive_workdays: 3}")
    )
    assert p.line == 10
    assert "consecutive_workdays needs a table of days (attendance), not incidents" in p.message


def test_a_run_and_a_count_are_two_rules():
    (p,) = problems_of(
        _rule_with_events(
            "{table: attendance, where: \"status == 'absent'\", consecutive_workdays: 3, nth_in_year: 5}"
        )
    )
    assert "consecutive_workdays and nth_in_year are two rules" in p.message
