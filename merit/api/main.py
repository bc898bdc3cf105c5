"""The API instance: routers of every app mounted under /api/, one error shape ``{"detail": ...}``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from merit.api import agents, facts, imports, teams, users
from merit.api.actions import Conflict
from merit.api.auth import session_auth, token_auth
from merit.api.common import Renderer

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "description": "错误 the one error shape: a sentence, or (422, 400) one entry per invalid field",
    "properties": {
        "detail": {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "type": {"type": "string"},
                            "loc": {
                                "type": "array",
                                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                            },
                            "msg": {"type": "string"},
                        },
                        "required": ["msg"],
                    },
                },
            ]
        }
    },
    "required": ["detail"],
}
ERRORS = {
    "400": "请求体无法解析 the body is not valid JSON or form data",
    "401": "需要登录或令牌 authentication required",
    "403": "无权执行 not allowed",
    "404": "未找到（或不在可见范围内） not found, or out of your scope",
    "409": "冲突（状态已变、重复的幂等键） a conflict: the state changed, an idempotency key reused",
    "422": "输入无效，逐项列出 invalid input, each field named",
}


class MeritAPI(NinjaAPI):
    """Every operation declares the one error shape for every error status it may answer (docs/api.md):
    an operation's own error schema stays, alongside the common one."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        common = {"$ref": "#/components/schemas/Error"}
        for ops in schema.get("paths", {}).values():
            for op in ops.values():
                responses = op.setdefault("responses", {})
                for code, description in ERRORS.items():
                    declared = responses.get(code) or responses.get(int(code))
                    if declared is None:
                        responses[code] = {
                            "description": description,
                            "content": {"application/json": {"schema": common}},
                        }
                        continue
                    content = declared.setdefault("content", {}).setdefault("application/json", {})
                    own = content.get("schema")
                    content["schema"] = {"anyOf": [own, common]} if own and own != common else common
        return schema


api = MeritAPI(
    title="merit API",
    version="1",
    description="客服/售后 奖惩与绩效考核 — teams, agents, roles, imports and facts.\n\n"
    "认证 Authentication: 网页登录后的会话（写操作需 `X-CSRFToken` 头）或个人令牌 "
    "`Authorization: Bearer <token>` (no CSRF needed). 创建类 POST 可带 `Idempotency-Key` 头。"
    'Creating POSTs honour an `Idempotency-Key` header. Errors: `{"detail": ...}`; '
    "422 lists each invalid field with its location. See docs/api.md.",
    urls_namespace="api",
    auth=[token_auth, session_auth],
    renderer=Renderer(),
)

api.add_router("", users.router)
api.add_router("/teams", teams.router)
api.add_router("/agents", agents.router)
api.add_router("/imports", imports.router)
api.add_router("/facts", facts.router)
api.add_router("/runs", "merit.assessment.api.router")
api.add_router("/policies", "merit.policies.api.router")
api.add_router("/ledger", "merit.ledger.api.router")
api.add_router("/cases", "merit.tickets.api.router")


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc: AuthenticationError):
    detail = str(exc)
    if detail == "Unauthorized":
        detail = "请先登录或提供令牌 Authentication required: sign in, or send Authorization: Bearer <token>"
    response = api.create_response(request, {"detail": detail}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="merit"'
    return response


@api.exception_handler(Http404)
def not_found(request, exc: Http404):
    # The same answer whether the object does not exist or is out of the caller's scope.
    return api.create_response(request, {"detail": "未找到 Not found"}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc: PermissionDenied):
    detail = str(exc) or "无权执行此操作 You may not do this"
    return api.create_response(request, {"detail": detail}, status=403)


@api.exception_handler(Conflict)
def conflict(request, exc: Conflict):
    return api.create_response(request, {"detail": str(exc)}, status=409)


@api.exception_handler(DjangoValidationError)
def invalid(request, exc: DjangoValidationError):
    """A model-level refusal (an unknown team, a missing link) as a 422 naming the body field."""
    if hasattr(exc, "error_dict"):
        errors = [
            {"type": "value_error", "loc": ["body", "payload", field], "msg": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"type": "value_error", "loc": ["body"], "msg": message} for message in exc.messages]
    return api.create_response(request, {"detail": errors}, status=422)
