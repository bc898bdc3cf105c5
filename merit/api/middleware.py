"""NUL characters never reach the database from the API: PostgreSQL cannot store them in text, and a
query with one would fail there (a 500) where SQLite answers. A path under /api/ holding one is a 404 (no
object can have such an id), a query parameter a 422 naming it; bodies are checked by the input schemas
(merit.api.common.Input)."""

from __future__ import annotations

from django.http import JsonResponse

from merit.api.common import NUL_MESSAGE

_JSON = {"json_dumps_params": {"ensure_ascii": False}}


class RefuseNul:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            if "\x00" in request.path:
                return JsonResponse({"detail": "未找到 Not found"}, status=404, **_JSON)
            bad = [
                key
                for key, values in request.GET.lists()
                if "\x00" in key or any("\x00" in v for v in values)
            ]
            if bad:
                errors = [{"type": "value_error", "loc": ["query", key], "msg": NUL_MESSAGE} for key in bad]
                return JsonResponse({"detail": errors}, status=422, **_JSON)
        return self.get_response(request)
