"""Policy versions: the presets kept in step with the engine, new versions checked by the engine, and the
version in force for a month.

- :func:`ensure_presets` stores every preset shipped with the engine as version 1 of its rulebook id
  (S1 … S10, S6-FD), effective from 2026-01-01. Run again it adds nothing, unless a release changed a
  preset's text: that text becomes the next version, effective from the day it is synced (a preset
  edited locally keeps the local edits; the release's text is then reported, not applied).
- :func:`create_version` stores a new text of a policy as the next version: the engine must accept it,
  it must differ from the latest version, and it may not take effect before the latest version does.
  Only HR and admins may do it; every creation is audited.
- :func:`resolve` answers which version applies to a month.

Versions are never changed or deleted (the database refuses it, see the migration ``append_only``).
"""

from __future__ import annotations

import functools
import re
from datetime import date
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from merit.audit.log import record
from merit.engine.policy.load import (
    LoadedPolicy,
    PolicyError,
    PolicyProblem,
    load_policy,
    parse_policy,
    preset_files,
)
from merit.engine.policy.yamlio import YamlError, load_yaml_lines
from merit.org.access import NONE, scope_of
from merit.policies.models import PolicyVersion

SHANGHAI = ZoneInfo("Asia/Shanghai")
PRESET_EFFECTIVE_FROM = date(2026, 1, 1)
ACTION_CREATE = "policies.version.create"
# A custom policy's id: lower-case letters, digits and hyphens, starting with a letter (it appears in
# addresses and in the results). Presets keep their rulebook ids (S5, S6-FD).
CUSTOM_ID = re.compile(r"^[a-z][a-z0-9-]{1,63}$")
RESERVED_IDS = {"new", "validate"}  # addresses of the policy pages
MAX_TEXT = 200_000  # characters; the largest preset is about 10,000
CREATE_ATTEMPTS = 3
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


class Unchanged(Exception):
    """The submitted text is the latest version's text: nothing to store."""

    def __init__(self, latest: PolicyVersion):
        self.latest = latest
        super().__init__(
            f"与当前最新版本 v{latest.version} 的文本相同，未保存新版本 "
            f"The text is the same as the latest version (v{latest.version}); no new version was saved"
        )


class VersionConflict(Exception):
    """Another version of the policy was saved meanwhile (or at the same moment)."""


# --- permissions -------------------------------------------------------------------------------------


def may_read(user) -> bool:
    """Everyone with a role reads the policies (they decide everyone's pay)."""
    return scope_of(user).kind != NONE


def may_edit(user) -> bool:
    """HR and admins (and superusers) create versions."""
    return scope_of(user).is_manager


def require_editor(user) -> None:
    if not may_edit(user):
        raise PermissionDenied("仅人力资源或管理员可以修改考核方案 Only HR and admins may change policies")


# --- reading -----------------------------------------------------------------------------------------


def latest_versions():
    """The newest version of every policy (one row per policy id)."""
    newest = (
        PolicyVersion.objects.filter(policy_id=OuterRef("policy_id")).order_by("-version").values("version")
    )
    return PolicyVersion.objects.filter(version=Subquery(newest[:1]))


def sort_key(policy_id: str) -> tuple:
    """Presets first in rulebook order (S1, S2, … S10, S6-FD after S6), then custom policies by id."""
    if m := re.match(r"^S(\d+)(.*)$", policy_id):
        return (0, int(m.group(1)), m.group(2), "")
    return (1, 0, "", policy_id)


def latest_version(policy_id: str) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(policy_id=policy_id).order_by("-version").first()


def month_start(period: str | date) -> date:
    """The first day of ``period`` ("YYYY-MM" or any date of the month)."""
    if isinstance(period, date):
        return period.replace(day=1)
    m = _PERIOD.match(str(period).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"月份格式应为 YYYY-MM A period is written YYYY-MM, not {period!r}")
    return date(int(m.group(1)), int(m.group(2)), 1)


def resolve(policy_id: str, period: str | date) -> PolicyVersion:
    """The version of ``policy_id`` in force for the month ``period``: the one with the latest effective
    date on or before the first day of the month (of two on the same day, the higher version).

    A preset never synced yet is synced first. Raises ``PolicyVersion.DoesNotExist`` naming the policy
    and month when no version applies (an unknown policy, or a month before its first version)."""
    first = month_start(period)

    def find():
        return (
            PolicyVersion.objects.filter(policy_id=policy_id, effective_from__lte=first)
            .order_by("-effective_from", "-version")
            .first()
        )

    found = find()
    if found is None and policy_id in shipped_presets():
        ensure_presets()
        found = find()
    if found is None:
        raise PolicyVersion.DoesNotExist(
            f"方案 {policy_id} 在 {first:%Y-%m} 没有生效的版本 "
            f"No version of policy {policy_id!r} is in force in {first:%Y-%m}"
        )
    return found


# --- presets -----------------------------------------------------------------------------------------


@functools.cache
def shipped_presets() -> dict[str, LoadedPolicy]:
    """rulebook id → every preset shipped with the engine, loaded by the engine (once per process)."""
    out = {}
    for file_name in preset_files():
        loaded = load_policy(file_name.removesuffix(".yaml"))  # the engine's preset index knows the stem
        out[loaded.policy.id] = loaded
    return out


def ensure_presets(texts: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Store every preset not stored yet (version 1) or whose text changed (the next version).

    ``texts``: preset file name → text, the files shipped with the engine when None (an upgrade check
    may pass others). Returns ``{"created": [...], "unchanged": [...], "kept_local": [...]}`` (policy
    ids); ``kept_local`` lists presets whose text changed but whose latest version is a local edit,
    which wins. A preset that fails the engine's checks raises ``PolicyError``."""
    if texts is None:
        candidates = list(shipped_presets().values())
    else:
        candidates = [parse_policy(text, f"preset:{name}") for name, text in texts.items()]
    candidates.sort(key=lambda loaded: sort_key(loaded.policy.id))
    summary: dict[str, list[str]] = {"created": [], "unchanged": [], "kept_local": []}
    stored = set(PolicyVersion.objects.filter(preset=True).values_list("policy_id", "sha256"))
    for loaded in candidates:
        outcome = "unchanged"
        if (loaded.policy.id, loaded.sha256) not in stored:
            try:
                outcome = _store_preset(loaded)
            except IntegrityError:  # stored by a concurrent sync in between
                outcome = "unchanged"
        summary[outcome].append(loaded.policy.id)
    return summary


@transaction.atomic
def _store_preset(loaded: LoadedPolicy) -> str:
    """ "created", "unchanged" (already the latest text) or "kept_local" (the latest is a local edit)."""
    policy = loaded.policy
    latest = latest_version(policy.id)
    if latest is not None and latest.sha256 == loaded.sha256:
        return "unchanged"
    if latest is not None and not latest.preset:
        return "kept_local"
    effective_from = PRESET_EFFECTIVE_FROM
    if latest is not None:
        effective_from = max(latest.effective_from, timezone.localdate(timezone=SHANGHAI))
    version = PolicyVersion.objects.create(
        policy_id=policy.id,
        version=latest.version + 1 if latest else 1,
        name=policy.name,
        title_zh=policy.title.zh or "",
        title_en=policy.title.en or "",
        text=loaded.text,
        sha256=loaded.sha256,
        effective_from=effective_from,
        preset=True,
        note="预置方案 shipped preset" if latest is None else "预置方案更新 shipped preset updated",
    )
    record(None, ACTION_CREATE, version, after=snapshot(version))
    return "created"


# --- new versions ------------------------------------------------------------------------------------


def normalize_text(text: str) -> str:
    """Line ends as \\n and exactly one at the end: a text pasted from Windows or sent from a browser's
    text box (which uses \\r\\n) is the same policy as the file it came from."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.rstrip() + "\n"


def check_text(text: str, policy_id: str | None = None) -> LoadedPolicy:
    """The engine's verdict on ``text`` (raises ``PolicyError`` listing every problem at its line), plus:
    the text's ``id`` must be the policy id it is saved under."""
    source = f"policy:{policy_id}" if policy_id else "policy"
    if len(text) > MAX_TEXT:
        raise PolicyError(
            source, [PolicyProblem(None, "", f"the text is longer than {MAX_TEXT:,} characters")]
        )
    loaded = parse_policy(text, source)
    if policy_id is not None and loaded.policy.id != policy_id:
        raise PolicyError(
            source,
            [
                PolicyProblem(
                    _line_of_key(text, "id"),
                    "id",
                    f"the text says id {loaded.policy.id!r} but is saved as policy {policy_id!r}; "
                    f"write 'id: {policy_id}'",
                )
            ],
        )
    return loaded


def _line_of_key(text: str, key: str) -> int | None:
    try:
        _, lines = load_yaml_lines(text, "policy")
    except YamlError:
        return None
    return lines.get((key,))


def check_new_id(policy_id: str) -> None:
    """A new custom policy's id: a slug that names no other policy (case aside)."""
    if not CUSTOM_ID.match(policy_id):
        raise ValidationError(
            {
                "policy_id": "方案编号只能用小写字母、数字和连字符，以字母开头，2–64 个字符 "
                "A policy id is 2–64 lower-case letters, digits and hyphens, starting with a letter "
                f"(not {policy_id!r})"
            }
        )
    taken = {pid.lower() for pid in shipped_presets()} | RESERVED_IDS
    taken |= {pid.lower() for pid in PolicyVersion.objects.values_list("policy_id", flat=True).distinct()}
    if policy_id.lower() in taken:
        raise ValidationError(
            {"policy_id": f"方案编号 {policy_id} 已被使用 The policy id {policy_id!r} is already taken"}
        )


def next_effective_date(latest: PolicyVersion | None) -> date:
    """What the editor proposes: the first day of next month, or the latest version's date if later."""
    today = timezone.localdate(timezone=SHANGHAI)
    proposal = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    return max(proposal, latest.effective_from) if latest else proposal


def snapshot(version: PolicyVersion) -> dict:
    """What the audit keeps of a version (the text itself is in the row, which never changes)."""
    return {
        "policy_id": version.policy_id,
        "version": version.version,
        "name": version.name,
        "sha256": version.sha256,
        "effective_from": version.effective_from.isoformat(),
        "preset": version.preset,
        "note": version.note,
    }


def create_version(
    user,
    policy_id: str,
    text: str,
    effective_from: date,
    note: str = "",
    *,
    name: str | None = None,
    base_version: int | None = None,
) -> PolicyVersion:
    """Store ``text`` as the next version of ``policy_id`` (a new custom policy if the id is new).

    Raises ``PermissionDenied`` (not HR/admin), ``PolicyError`` (the engine's problems, each with its
    line), ``Unchanged`` (same text as the latest version), ``ValidationError`` keyed by field (a bad new
    id, an effective date before the latest version's, a name too long) and ``VersionConflict`` when
    ``base_version`` (the version the editor started from) is no longer the latest, or when concurrent
    saves kept colliding."""
    require_editor(user)
    if not PolicyVersion.objects.filter(policy_id=policy_id).exists():
        check_new_id(policy_id)  # a bad new id first: the text cannot be right for it
    text = normalize_text(text)
    loaded = check_text(text, policy_id)  # outside the transaction: parsing takes a while
    name = (name or "").strip() or loaded.policy.name
    if len(name) > 200:
        raise ValidationError({"name": "名称最多 200 个字符 A name has at most 200 characters"})
    for _ in range(CREATE_ATTEMPTS):
        try:
            with transaction.atomic():
                return _insert(user, policy_id, loaded, effective_from, note.strip(), name, base_version)
        except IntegrityError:
            # Another version took the number at the same moment (PostgreSQL): look again.
            continue
    raise VersionConflict(
        f"方案 {policy_id} 正被同时修改，请刷新后重试 Policy {policy_id!r} is being changed by someone else "
        "at the same time; reload and try again"
    )


def _insert(user, policy_id, loaded, effective_from, note, name, base_version) -> PolicyVersion:
    latest = latest_version(policy_id)
    current = latest.version if latest else 0
    if base_version is not None and base_version != current:
        raise VersionConflict(
            f"编辑期间已有人保存了 {policy_id} 的 v{current}，请查看后再修改 "
            f"Version {current} of {policy_id!r} was saved while you were editing; review it and edit again"
        )
    if latest is None:
        check_new_id(policy_id)
    elif latest.sha256 == loaded.sha256:
        raise Unchanged(latest)
    elif effective_from < latest.effective_from:
        raise ValidationError(
            {
                "effective_from": f"生效日期不能早于 v{latest.version} 的 {latest.effective_from:%Y-%m-%d} "
                f"The effective date may not precede version {latest.version}'s "
                f"({latest.effective_from:%Y-%m-%d})"
            }
        )
    version = PolicyVersion.objects.create(
        policy_id=policy_id,
        version=current + 1,
        name=name,
        title_zh=loaded.policy.title.zh or "",
        title_en=loaded.policy.title.en or "",
        text=loaded.text,
        sha256=loaded.sha256,
        effective_from=effective_from,
        preset=False,
        note=note,
        created_by=user,
    )
    record(user, ACTION_CREATE, version, after=snapshot(version))
    return version
