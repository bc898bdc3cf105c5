"""The API instance: routers of every app mounted under /api/."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="merit API",
    version="1",
    description="客服/售后 奖惩与绩效考核 — teams, agents, roles, imports and facts. "
    "Sign in through the web page (session cookie + X-CSRFToken header) or send "
    "`Authorization: Bearer <token>`.",
    urls_namespace="api",
)
