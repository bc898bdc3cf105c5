"""Template context for every page: the user's scope and the top navigation by role."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from merit.assessment.labels import MY_RESULTS_LABEL, RUNS_LABEL
from merit.dashboards.labels import NAV_LABEL as DASHBOARD_LABEL
from merit.discipline.labels import MY_FILE_LABEL
from merit.discipline.labels import NAV_LABEL as DISCIPLINE_LABEL
from merit.inbox.labels import nav_label as inbox_label
from merit.inbox.notify import unread_count
from merit.ingest.actions import may_import
from merit.ledger.labels import NAV_LABEL as LEDGER_LABEL
from merit.org.access import NONE, OWN, scope_of
from merit.org.models import UserRole
from merit.policies.labels import NAV_LABEL as POLICIES_LABEL
from merit.recognition.labels import NAV_LABEL as RECOGNITION_LABEL
from merit.reports.labels import NAV_LABEL as REPORTS_LABEL
from merit.shop.labels import NAV_LABEL as SHOP_LABEL


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str
    active: bool
    more: bool = False  # under "More" (更多): pages opened now and then, so the menu keeps to one line


# The pages a role opens now and then: listed under "More" (更多).
MORE = {
    "policies:list",
    "shop:catalogue",
    "recognition:list",
    "reports:home",
    "api:openapi-view",
    "admin:index",
}


def optional_url(name: str, *args) -> str | None:
    """The URL of ``name``, or None when no such page is installed (yet)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def role_label(role: str | None) -> str:
    labels = {
        UserRole.AGENT: _("Agent"),
        UserRole.SUPERVISOR: _("Supervisor"),
        UserRole.HR: _("HR"),
        UserRole.ADMIN: _("Administrator"),
    }
    return labels.get(role, _("No role"))


def navigation(request) -> list[NavItem]:
    user = request.user
    if not user.is_authenticated:
        return []
    scope = scope_of(user)
    links = [("home", _("Home"))]
    if scope.kind != NONE:
        links.append(("dashboards:home", DASHBOARD_LABEL))
        links.append(("people", _("People")))
        links.append(("policies:list", POLICIES_LABEL))
        links.append(("runs:list", RUNS_LABEL if scope.kind != OWN else MY_RESULTS_LABEL))
        links.append(("ledger:home", LEDGER_LABEL))
        links.append(("tickets:mine", _("Desk")))
        links.append(("discipline:list", DISCIPLINE_LABEL))
        if scope.kind == OWN:
            links.append(("discipline:my_file", MY_FILE_LABEL))
        links.append(("shop:catalogue", SHOP_LABEL))
        links.append(("recognition:list", RECOGNITION_LABEL))
        if scope.kind != OWN:
            links.append(("reports:home", REPORTS_LABEL))
    links.append(("inbox:list", inbox_label(unread_count(user))))
    if may_import(user):
        links.append(("ingest:list", _("Imports")))
    if scope.is_manager:
        links.append(("api:openapi-view", _("API docs")))
    if user.is_staff and (user.is_superuser or user.get_all_permissions()):
        # staff without a single model permission would find only "no permission" there
        links.append(("admin:index", _("Admin")))
    items = []
    for name, label in links:
        url = optional_url(name)
        if url is None:
            continue
        active = request.path == url if name == "home" else request.path.startswith(url)
        items.append(NavItem(url, label, active, more=name in MORE))
    # the menu's order: the pages of every day, then those under "More"
    return [i for i in items if not i.more] + [i for i in items if i.more]


def scope(request):
    """``scope``: what the signed-in user may see (merit.org.access.Scope); ``nav``: the menu of their role;
    ``role_label``: the role's name in the page's language."""
    user = getattr(request, "user", None)
    if user is None:
        return {"scope": scope_of(None)}
    current = scope_of(user)
    nav = navigation(request) if user.is_authenticated else []
    more = [i for i in nav if i.more]
    return {
        "scope": current,
        "nav": nav,
        "nav_more": more,
        "nav_more_active": any(i.active for i in more),
        "role_label": role_label(current.role) if user.is_authenticated else "",
    }
