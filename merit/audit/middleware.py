"""Who is acting, for the audit rows written during a request (merit.audit.log.current_actor)."""

from __future__ import annotations

from merit.audit.log import serving


class ActorMiddleware:
    """Makes the request known to :func:`merit.audit.log.current_actor` while it is served. The user is
    read when a row is written, so an API token's user (set by the API's authentication, after the
    middleware ran) is the actor too. Place it after ``AuthenticationMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with serving(request):
            return self.get_response(request)
