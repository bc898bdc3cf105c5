"""Policy pages: the list, one policy's versions, a version's text, the changes between two versions, and
the editor (HR and admins) that shows the engine's problems on the lines of the submitted text.

Everyone with a role reads; users without a role get 403 and anonymous visitors the sign-in page.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from merit.engine.policy.load import PolicyError
from merit.policies import actions
from merit.policies.display import diff, numbered_lines
from merit.policies.forms import NewPolicyForm, StartForm, VersionForm
from merit.policies.models import PolicyVersion
from merit.web.context import optional_url


def _reader(request) -> None:
    if not actions.may_read(request.user):
        raise PermissionDenied(_("Your account has no role yet: ask HR or an administrator for one."))


def _editor(request) -> None:
    if not actions.may_edit(request.user):
        raise PermissionDenied(_("Only HR and admins may change policies."))


def _versions(policy_id: str):
    versions = list(PolicyVersion.objects.filter(policy_id=policy_id).order_by("-version"))
    if not versions:
        raise Http404
    return versions


def _version(policy_id: str, version: int) -> PolicyVersion:
    return get_object_or_404(
        PolicyVersion.objects.select_related("created_by"), policy_id=policy_id, version=version
    )


@login_required
@require_GET
def policy_list(request):
    _reader(request)
    actions.ensure_presets()
    latest = sorted(actions.latest_versions(), key=lambda v: actions.sort_key(v.policy_id))
    today = timezone.localdate(timezone=actions.SHANGHAI)
    rows = [{"version": v, "upcoming": v.effective_from > today} for v in latest]
    return render(request, "policies/list.html", {"rows": rows, "may_edit": actions.may_edit(request.user)})


@login_required
@require_GET
def policy_detail(request, policy_id: str):
    _reader(request)
    versions = _versions(policy_id)
    context = {
        "latest": versions[0],
        "versions": versions,
        "may_edit": actions.may_edit(request.user),
    }
    return render(request, "policies/policy.html", context)


def _runs(version: PolicyVersion) -> list[dict]:
    runs = version.runs.order_by("-first_period", "-pk")
    return [{"run": run, "url": optional_url("runs:detail", run.pk)} for run in runs]


@login_required
@require_GET
def version_detail(request, policy_id: str, version: int):
    _reader(request)
    current = _version(policy_id, version)
    context = {
        "v": current,
        "lines": numbered_lines(current.text),
        "runs": _runs(current),
        "has_previous": current.version > 1,
        "is_latest": not PolicyVersion.objects.filter(policy_id=policy_id, version__gt=version).exists(),
        "may_edit": actions.may_edit(request.user),
    }
    return render(request, "policies/version.html", context)


@login_required
@require_GET
def version_diff(request, policy_id: str, version: int):
    """The changes from another version (``?from=N``, the previous one by default) to this one."""
    _reader(request)
    current = _version(policy_id, version)
    try:
        base_number = int(request.GET.get("from", version - 1))
    except ValueError:
        raise Http404 from None
    base = get_object_or_404(PolicyVersion, policy_id=policy_id, version=base_number)
    others = PolicyVersion.objects.filter(policy_id=policy_id).exclude(version=version).order_by("-version")
    context = {
        "v": current,
        "base": base,
        "diff": diff(base.text, current.text),
        "others": others.values_list("version", flat=True),
    }
    return render(request, "policies/diff.html", context)


def _problems_context(text: str, error: PolicyError) -> dict:
    return {"problems": error.problems, "lines": numbered_lines(text, error.problems)}


def _save(request, form, policy_id: str, template: str, context: dict):
    """Create the version from a bound, valid form; on a refusal show the form again, text kept."""
    data = form.cleaned_data
    text = actions.normalize_text(data["text"])
    try:
        version = actions.create_version(
            request.user,
            policy_id,
            text,
            data["effective_from"],
            data["note"],
            base_version=data.get("base_version"),
        )
    except PolicyError as e:
        context |= _problems_context(text, e)
    except actions.Unchanged as e:
        form.add_error(
            "text", _("The text is the same as version %(n)s: nothing to save.") % {"n": e.latest.version}
        )
    except actions.VersionConflict as e:
        form.add_error(None, str(e))
    except ValidationError as e:
        for field, errors in e.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        messages.success(
            request,
            _("Saved version %(n)s of %(policy)s.") % {"n": version.version, "policy": version.policy_id},
        )
        if version.version == 1:
            return redirect("policies:version", policy_id=version.policy_id, version=version.version)
        return redirect("policies:diff", policy_id=version.policy_id, version=version.version)
    return render(request, template, context | {"form": form}, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def version_new(request, policy_id: str):
    """The editor: a new version of an existing policy, prefilled with the latest text."""
    _editor(request)
    latest = _versions(policy_id)[0]
    context = {"latest": latest, "policy_id": policy_id}
    if request.method == "POST":
        form = VersionForm(request.POST)
        if form.is_valid():
            return _save(request, form, policy_id, "policies/edit.html", context)
        return render(request, "policies/edit.html", context | {"form": form}, status=400)
    form = VersionForm(
        initial={
            "text": latest.text,
            "effective_from": actions.next_effective_date(latest),
            "base_version": latest.version,
        }
    )
    return render(request, "policies/edit.html", context | {"form": form})


def with_id(text: str, policy_id: str) -> str:
    """``text`` with its top-level ``id:`` line naming ``policy_id``."""
    return re.sub(r"^id:[^\n]*$", f"id: {policy_id}", text, count=1, flags=re.M)


@login_required
@require_http_methods(["GET", "POST"])
def policy_new(request):
    """A new custom policy: step one picks its id and the policy to start from, step two is the editor."""
    _editor(request)
    actions.ensure_presets()
    latest = sorted(actions.latest_versions(), key=lambda v: actions.sort_key(v.policy_id))
    choices = [(v.policy_id, f"{v.policy_id} · {v.title()}") for v in latest]
    if request.method == "POST":
        form = NewPolicyForm(request.POST)
        if form.is_valid():
            return _save(request, form, form.cleaned_data["policy_id"], "policies/edit.html", {})
        return render(request, "policies/edit.html", {"form": form}, status=400)
    start = StartForm(request.GET or None, choices=choices)
    if not start.is_valid():
        return render(request, "policies/start.html", {"start": start})
    policy_id, base_id = start.cleaned_data["policy_id"], start.cleaned_data["base"]
    try:
        actions.check_new_id(policy_id)
    except ValidationError as e:
        start.add_error("policy_id", e.message_dict["policy_id"])
        return render(request, "policies/start.html", {"start": start}, status=400)
    base = actions.latest_version(base_id)
    form = NewPolicyForm(
        initial={
            "policy_id": policy_id,
            "text": with_id(base.text, policy_id),
            "effective_from": actions.next_effective_date(None),
            "note": _("Started from %(policy)s v%(n)s") % {"policy": base.policy_id, "n": base.version},
            "base_version": 0,
        }
    )
    return render(request, "policies/edit.html", {"form": form, "base": base})


@login_required
@require_POST
def validate(request):
    """The editor's "check" button (htmx): the engine's verdict on the text, nothing saved."""
    _editor(request)
    policy_id = request.POST.get("policy_id", "").strip() or None
    text = actions.normalize_text(request.POST.get("text", ""))
    context = {"checked": True}
    try:
        loaded = actions.check_text(text, policy_id)
    except PolicyError as e:
        context |= _problems_context(text, e)
    else:
        latest = actions.latest_version(policy_id) if policy_id else None
        context |= {
            "loaded": loaded,
            "unchanged_from": latest if latest and latest.sha256 == loaded.sha256 else None,
        }
    return render(request, "policies/_check.html", context)
