"""Supervisors enter what they judge in the web: the manual scores of a policy for their team (checked
against the policy's items and ranges, all or nothing) and incidents with a reason and evidence."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation

from merit.audit.models import AuditEntry
from merit.facts.models import Incident, ManualScore
from merit.ingest.entry import manual_items, record_incident, save_scores
from merit.ingest.models import Evidence, ImportOrigin, ImportState
from merit.policies.actions import ensure_presets, resolve

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH = "2026-03"


@pytest.fixture
def s5(world):
    ensure_presets()
    return resolve("S5", MONTH)


def _scores() -> dict[tuple[str, str], Decimal]:
    return {(m.agent_id, m.item): m.score for m in ManualScore.objects.filter(period=MONTH)}


def test_the_grid_offers_the_policy_s_manual_items_with_their_ranges(s5):
    items = manual_items(s5)
    # S5 (rulebook): communication, attitude and teamwork are the supervisor's, 0–10 points each
    assert [(i.item, i.label_zh, i.min_points, i.max_points) for i in items[:3]] == [
        ("communication", "沟通能力", 0, 10),
        ("attitude", "服务态度", 0, 10),
        ("teamwork", "团队协作/执行力", 0, 10),
    ]


def test_a_supervisor_saves_the_team_s_scores_as_one_recorded_entry(world, s5):
    sup1 = world.users["sup1"]
    cells = {
        ("li", "communication"): "8",
        ("li", "attitude"): "9.5",
        ("wang", "communication"): "７",
        ("wang", "attitude"): "",
    }
    imp = save_scores(sup1, s5, "T1", MONTH, cells)

    assert _scores() == {
        ("li", "communication"): 8,
        ("li", "attitude"): Decimal("9.5"),
        ("wang", "communication"): 7,
    }
    assert {m.by for m in ManualScore.objects.all()} == {"sup1 (sup1)"}
    assert (imp.origin, imp.state, imp.created_by) == (ImportOrigin.WEB_ENTRY, ImportState.SUCCEEDED, sup1)
    assert imp.summary["manual_scores"]["inserted"] == 3
    assert imp.months == {"manual_scores": [MONTH]}
    assert set(ManualScore.objects.values_list("batch", flat=True)) == {imp.pk}
    entry = AuditEntry.objects.get(action="ingest.import.apply", target_id=str(imp.pk))
    assert entry.actor == sup1 and entry.detail["team"] == "T1"

    # changed and cleared: li's attitude goes, li's communication becomes 6
    imp2 = save_scores(sup1, s5, "T1", MONTH, {("li", "communication"): "6", ("li", "attitude"): " "})
    assert _scores() == {("li", "communication"): 6, ("wang", "communication"): 7}
    assert imp2.summary["manual_scores"] == {
        "read": 1,
        "inserted": 0,
        "updated": 1,
        "unchanged": 0,
        "removed": 1,
    }
    assert (
        save_scores(sup1, s5, "T1", MONTH, {("li", "communication"): "6"}) is not None
    )  # unchanged, recorded
    assert save_scores(sup1, s5, "T1", MONTH, {("wang", "teamwork"): ""}) is None  # nothing to do


def test_a_score_out_of_range_is_refused_naming_agent_and_item_and_nothing_is_stored(world, s5):
    sup1 = world.users["sup1"]
    cells = {
        ("li", "communication"): "12",
        ("li", "attitude"): "abc",
        ("wang", "teamwork"): "8.125",
        ("wang", "attitude"): "9",
    }
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        save_scores(sup1, s5, "T1", MONTH, cells)
    assert refused.value.messages == [
        "李明 (li) · Service attitude (attitude): not a number ('abc')",
        "李明 (li) · Communication skill (communication): 12 is above the maximum 10",
        "王芳 (wang) · Teamwork and execution (teamwork): at most 2 decimal places ('8.125')",
    ]
    with translation.override("en"), pytest.raises(ValidationError) as negative:
        save_scores(sup1, s5, "T1", MONTH, {("li", "teamwork"): "-1"})
    assert negative.value.messages == [
        "李明 (li) · Teamwork and execution (teamwork): -1 is below the minimum 0"
    ]
    assert _scores() == {}  # wang's valid attitude 9 was not stored either


def test_only_the_own_team_and_the_policy_s_items(world, s5):
    sup1, li = world.users["sup1"], world.users["li"]
    with pytest.raises(PermissionDenied):
        save_scores(sup1, s5, "T2", MONTH, {("zhao", "communication"): "8"})
    with pytest.raises(PermissionDenied):
        save_scores(li, s5, "T1", MONTH, {("li", "communication"): "10"})  # an agent scores nobody
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        save_scores(sup1, s5, "T1", MONTH, {("zhao", "communication"): "8", ("li", "speed"): "3"})
    assert refused.value.messages == [
        "speed is not a manual item of S5.",
        "zhao is not an active agent of team T1.",
    ]
    save_scores(world.users["hr"], s5, "T2", MONTH, {("zhao", "communication"): "8"})  # HR: any team
    assert _scores() == {("zhao", "communication"): 8}


def test_an_incident_is_recorded_with_its_reason_and_evidence(world, settings):
    sup1 = world.users["sup1"]
    at = datetime(2026, 3, 20, 15, 30, tzinfo=SHANGHAI)
    shot = SimpleUploadedFile("聊天截图.png", b"\x89PNG fake image bytes", content_type="image/png")
    imp = record_incident(
        sup1, "li", "discipline.distraction", at, "上班时间看视频，已口头提醒", evidence=shot
    )

    incident = Incident.objects.get()
    assert (incident.agent_id, incident.kind, incident.at, incident.note) == (
        "li",
        "discipline.distraction",
        at,
        "上班时间看视频，已口头提醒",
    )
    assert incident.batch == imp.pk and imp.months == {"incidents": [MONTH]}
    ev = Evidence.objects.get()
    assert ev.incident_id == incident.incident_id and ev.uploaded_by == sup1
    assert (settings.MEDIA_ROOT / ev.stored_path).read_bytes() == b"\x89PNG fake image bytes"

    with pytest.raises(PermissionDenied):
        record_incident(sup1, "zhao", "complaint.attitude", at, "客户投诉")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        record_incident(sup1, "li", "complaint.rude", timezone.now() + timedelta(days=1), "  ")
    assert set(refused.value.message_dict) == {"kind", "note", "at"}
    assert refused.value.message_dict["note"] == ["Say what happened: the reason is kept with the incident."]
    assert Incident.objects.count() == 1


def test_the_pages_keep_what_was_typed_when_a_score_is_refused(world, s5):
    client = Client()
    client.force_login(world.users["sup1"], backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(f"/imports/scores/?policy=S5&period={MONTH}")
    body = page.content.decode()
    assert page.status_code == 200 and 'name="s__li__communication"' in body and "zhao" not in body

    r = client.post(
        "/imports/scores/",
        {
            "policy": "S5",
            "period": MONTH,
            "team": "T1",
            "s__li__communication": "11",
            "s__wang__attitude": "9",
        },
    )
    body = r.content.decode()
    assert r.status_code == 400 and 'id="score-errors"' in body
    assert "李明 (li) · 沟通能力 (communication)" in body and 'value="11"' in body and 'value="9"' in body
    assert _scores() == {}

    r = client.post(
        "/imports/scores/", {"policy": "S5", "period": MONTH, "team": "T1", "s__li__communication": "9"}
    )
    assert r.status_code == 302 and _scores() == {("li", "communication"): 9}
    assert Client().get("/imports/scores/").status_code == 302  # sign in first
    agent = Client()
    agent.force_login(world.users["li"], backend="django.contrib.auth.backends.ModelBackend")
    assert agent.get("/imports/scores/").status_code == 403
    assert agent.get("/imports/incidents/new/").status_code == 403
