"""Schemathesis (the OpenAPI fuzzer) against the API in-process, as HR and as an agent: every operation of
the published schema, with generated requests, must answer no server error, only the status codes and
the content type it declares, and bodies that match its declared schemas (docs/api.md).

``make test`` runs a bounded, seeded profile (``MERIT_FUZZ_EXAMPLES``, default 10 requests per
operation and role); ``make fuzz`` a longer one. A new endpoint is covered the day it appears: the
operations come from the schema itself.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from merit.api.auth import issue_token

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("MERIT_FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def wsgi_app():
    """Django's WSGI application, served in the test's transaction: as Django's own test client does, the
    connection is not closed at the end of each request (it would end the test's transaction)."""
    from django.core import signals
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("who", ["hr", "li"])
def test_every_operation_keeps_its_contract_under_generated_requests(world, wsgi_app, who):
    token = issue_token(world.users[who], "fuzz")[1]
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    failures, operations, cases = [], 0, 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @hsettings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,  # seeded: the same requests every run
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            nonlocal cases
            cases += 1
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

        try:
            run()
        except BaseException as e:  # noqa: BLE001 — every operation is tried; the failures are listed
            found = getattr(e, "exceptions", [e])
            failures.append(f"{operation.label}: " + "; ".join(str(x).splitlines()[0] for x in found))
    print(f"fuzz as {who}: {operations} operations, {cases} generated requests, {len(failures)} failures")
    assert operations >= 60
    assert failures == []
