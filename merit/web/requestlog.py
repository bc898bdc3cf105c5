"""One log line per request, and a request id on every log line written while it is served.

``RequestLog`` (the first middleware) gives each request an id — the caller's ``X-Request-ID`` when it
is a plain token, else a new one — sends it back in the ``X-Request-ID`` header, and logs, at INFO on the
logger ``merit.request``: method, path, status, duration in milliseconds and the user. ``RequestIdFilter``
puts the id on every record (``%(request_id)s`` in the format), so the traceback of a 500, logged by
Django at ERROR, carries the id of its request line. docs/operations.md.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.core.signals import request_finished

_current: ContextVar[str] = ContextVar("merit_request_id", default="-")
_TOKEN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = logging.getLogger("merit.request")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True


class RequestLog:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        rid = given if _TOKEN.match(given) else uuid.uuid4().hex[:16]
        _current.set(rid)  # cleared when the response is finished (below): Django logs 4xx after us
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response["X-Request-ID"] = rid
            return response
        finally:
            ms = (time.perf_counter() - started) * 1000
            user = getattr(request, "user", None)
            who = user.get_username() if user is not None and user.is_authenticated else "-"
            # INFO whatever the status: Django's own logger already warns of 4xx and logs 5xx with the
            # traceback (both now carry this id)
            log.info("%s %s %d %.0fms user=%s", request.method, request.path, status, ms, who)


def _clear(**kwargs) -> None:
    _current.set("-")


# Django's handler logs a refused request (4xx) after the middleware has returned, and sends
# request_finished once the response is closed: the id stays on until then.
request_finished.connect(_clear, dispatch_uid="merit.web.requestlog.clear")
