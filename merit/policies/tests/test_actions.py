"""Presets stored once, new versions checked by the engine, refusals that save nothing, who may create,
and which version applies to a month."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from merit.audit.models import AuditEntry
from merit.engine.policy.load import PolicyError, load_policy, preset_files
from merit.policies import actions
from merit.policies.actions import Unchanged, VersionConflict, create_version, ensure_presets, resolve
from merit.policies.models import PolicyVersion
from merit.policies.tests.conftest import S5_BROKEN, S5_BROKEN_LINE, S5_EDITED, S5_TEXT

pytestmark = pytest.mark.django_db

PRESET_IDS = {"S1", "S2", "S3", "S4", "S5", "S6", "S6-FD", "S7", "S8", "S9", "S10"}
ACTION = "policies.version.create"


def audit_rows():
    return AuditEntry.objects.filter(action=ACTION, target_type="policies.policyversion")


def test_every_preset_is_stored_once_as_version_1():
    first = ensure_presets()
    assert set(first["created"]) == PRESET_IDS and first["kept_local"] == []
    rows = PolicyVersion.objects.all()
    assert {r.policy_id for r in rows} == PRESET_IDS
    for r in rows:
        engine = load_policy(r.policy_id)
        assert (r.version, r.preset, r.effective_from) == (1, True, date(2026, 1, 1))
        assert r.text == engine.text and r.sha256 == engine.sha256
        assert r.name == engine.policy.name and r.title_zh == engine.policy.title.zh
    assert audit_rows().count() == len(PRESET_IDS)
    assert {e.actor_id for e in audit_rows()} == {None}  # the system

    again = ensure_presets()
    assert again == {"created": [], "unchanged": list(first["created"]), "kept_local": []}
    assert PolicyVersion.objects.count() == len(PRESET_IDS)
    assert audit_rows().count() == len(PRESET_IDS)


def test_a_preset_changed_by_a_release_becomes_the_next_version(presets):
    texts = preset_files()
    texts["s5_after_sales_kpi.yaml"] = S5_EDITED
    summary = ensure_presets(texts)
    assert summary["created"] == ["S5"]
    v2 = PolicyVersion.objects.get(policy_id="S5", version=2)
    assert v2.preset and v2.text == S5_EDITED
    assert v2.effective_from >= date(2026, 1, 1)
    assert ensure_presets(texts)["created"] == []  # idempotent for the new text too
    assert PolicyVersion.objects.filter(policy_id="S5").count() == 2


def test_a_local_edit_of_a_preset_is_not_overwritten_by_a_release(presets, world):
    create_version(world.users["hr"], "S5", S5_EDITED, date(2026, 3, 1), "steps of 0.2 pp")
    texts = {"s5_after_sales_kpi.yaml": S5_TEXT.replace("value: 0.995", "value: 0.99", 1)}
    assert ensure_presets(texts) == {"created": [], "unchanged": [], "kept_local": ["S5"]}
    assert PolicyVersion.objects.filter(policy_id="S5").count() == 2


def test_a_valid_edit_is_version_2_and_audited(presets, world):
    hr = world.users["hr"]
    v2 = create_version(hr, "S5", S5_EDITED.replace("\n", "\r\n"), date(2026, 4, 1), "  steps of 0.2 pp ")
    assert (v2.policy_id, v2.version, v2.preset, v2.created_by) == ("S5", 2, False, hr)
    assert v2.text == S5_EDITED  # line ends as the file has them
    assert v2.sha256 == hashlib.sha256(S5_EDITED.encode()).hexdigest()  # as the engine computes it
    assert v2.note == "steps of 0.2 pp"
    assert v2.name == "after_sales_kpi"
    entry = audit_rows().get(target_id=str(v2.pk))
    assert entry.actor_id == hr.pk
    assert entry.after == {
        "policy_id": "S5",
        "version": 2,
        "name": "after_sales_kpi",
        "sha256": v2.sha256,
        "effective_from": "2026-04-01",
        "preset": False,
        "note": "steps of 0.2 pp",
    }


def test_an_invalid_text_is_refused_with_its_line_and_nothing_is_saved(presets, world):
    before = (PolicyVersion.objects.count(), audit_rows().count())
    with pytest.raises(PolicyError) as refused:
        create_version(world.users["hr"], "S5", S5_BROKEN, date(2026, 4, 1))
    [problem] = refused.value.problems
    assert problem.line == S5_BROKEN_LINE
    assert problem.path == "scorecard.items.5.metric"
    assert "refund_dispute_ratio" in problem.message
    assert (PolicyVersion.objects.count(), audit_rows().count()) == before


def test_yaml_that_does_not_parse_names_its_line(presets, world):
    broken = S5_TEXT.replace("    value: 0.5\n", "    value: [0.5\n", 1)
    with pytest.raises(PolicyError) as refused:
        create_version(world.users["hr"], "S5", broken, date(2026, 4, 1))
    assert [p.line for p in refused.value.problems] == [26]


def test_an_unchanged_text_is_refused(presets, world):
    with pytest.raises(Unchanged) as refused:
        create_version(world.users["hr"], "S5", S5_TEXT + "\n\n", date(2026, 4, 1))
    assert refused.value.latest.version == 1
    assert "v1" in str(refused.value)
    assert PolicyVersion.objects.filter(policy_id="S5").count() == 1


def test_the_effective_date_may_not_precede_the_latest_versions(presets, world):
    hr = world.users["hr"]
    create_version(hr, "S5", S5_EDITED, date(2026, 5, 1))
    with pytest.raises(ValidationError) as refused:
        create_version(hr, "S5", S5_TEXT, date(2026, 4, 30))
    assert "2026-05-01" in refused.value.message_dict["effective_from"][0]
    assert create_version(hr, "S5", S5_TEXT, date(2026, 5, 1)).version == 3  # the same day is allowed


def test_the_text_must_carry_the_id_it_is_saved_under(presets, world):
    with pytest.raises(PolicyError) as refused:
        create_version(world.users["hr"], "S5", S5_TEXT.replace("id: S5", "id: S7", 1), date(2026, 4, 1))
    [problem] = refused.value.problems
    assert (problem.line, problem.path) == (5, "id")
    assert "S5" in problem.message


@pytest.mark.parametrize(
    "policy_id", ["A", "Shop", "2027-kpi", "kpi_2027", "s5", "new", "x" * 65, "kpi 2027"]
)
def test_a_new_policy_id_must_be_a_free_slug(presets, world, policy_id):
    text = S5_TEXT.replace("id: S5", f"id: {policy_id}", 1)
    with pytest.raises((ValidationError, PolicyError)):
        create_version(world.users["hr"], policy_id, text, date(2026, 4, 1))
    assert not PolicyVersion.objects.filter(policy_id=policy_id).exists()


def test_a_new_custom_policy_starts_at_version_1(presets, world):
    text = S5_TEXT.replace("id: S5", "id: after-sales-2027", 1)
    v = create_version(world.users["admin"], "after-sales-2027", text, date(2027, 1, 1), name="售后 2027")
    assert (v.version, v.preset, v.name, v.title_zh) == (1, False, "售后 2027", "售后KPI考核报表(100分)")


@pytest.mark.parametrize("who", ["li", "sup1", "nobody"])
def test_only_hr_and_admins_create_versions(presets, world, who):
    with pytest.raises(PermissionDenied):
        create_version(world.users[who], "S5", S5_EDITED, date(2026, 4, 1))
    assert PolicyVersion.objects.filter(policy_id="S5").count() == 1


def test_a_superuser_creates_versions(presets, world):
    assert create_version(world.users["root"], "S5", S5_EDITED, date(2026, 4, 1)).version == 2


def test_an_editor_working_from_an_old_version_is_told(presets, world):
    create_version(world.users["hr"], "S5", S5_EDITED, date(2026, 4, 1), base_version=1)
    with pytest.raises(VersionConflict) as refused:
        create_version(world.users["admin"], "S5", S5_TEXT, date(2026, 5, 1), base_version=1)
    assert "2" in str(refused.value)


def test_resolve_picks_the_version_in_force_for_the_month(presets, world):
    hr = world.users["hr"]
    create_version(hr, "S5", S5_EDITED, date(2026, 4, 15))  # v2: in force from May (mid-April start)
    create_version(hr, "S5", S5_TEXT, date(2026, 7, 1))  # v3
    expected = {"2026-01": 1, "2026-04": 1, "2026-05": 2, "2026-06": 2, "2026-07": 3, "2027-12": 3}
    assert {p: resolve("S5", p).version for p in expected} == expected
    assert resolve("S5", date(2026, 5, 31)).version == 2
    with pytest.raises(PolicyVersion.DoesNotExist, match="2025-12"):
        resolve("S5", "2025-12")
    with pytest.raises(PolicyVersion.DoesNotExist):
        resolve("no-such-policy", "2026-03")
    with pytest.raises(ValueError, match="YYYY-MM"):
        resolve("S5", "2026-13")


def test_resolve_syncs_the_presets_of_a_fresh_database(db):
    assert not PolicyVersion.objects.exists()
    v = resolve("S6-FD", "2026-03")
    assert (v.policy_id, v.version, v.preset) == ("S6-FD", 1, True)


def test_the_list_has_presets_in_rulebook_order_then_custom_policies(presets, world):
    text = S5_TEXT.replace("id: S5", "id: aa-custom", 1)
    create_version(world.users["hr"], "aa-custom", text, date(2026, 4, 1))
    create_version(world.users["hr"], "S5", S5_EDITED, date(2026, 4, 1))
    rows = sorted(actions.latest_versions(), key=lambda v: actions.sort_key(v.policy_id))
    assert [(v.policy_id, v.version) for v in rows] == [
        ("S1", 1),
        ("S2", 1),
        ("S3", 1),
        ("S4", 1),
        ("S5", 2),
        ("S6", 1),
        ("S6-FD", 1),
        ("S7", 1),
        ("S8", 1),
        ("S9", 1),
        ("S10", 1),
        ("aa-custom", 1),
    ]


def test_the_sync_command_is_idempotent(db):
    out = io.StringIO()
    call_command("sync_presets", stdout=out)
    assert out.getvalue().startswith("stored: S1, S2,")
    out = io.StringIO()
    call_command("sync_presets", stdout=out)
    assert out.getvalue().startswith("unchanged: S1, S2,")
    assert PolicyVersion.objects.count() == len(PRESET_IDS)
