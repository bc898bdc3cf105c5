"""A run interrupted by a stopped worker is failed when the server starts again."""

from __future__ import annotations

from merit.assessment import actions
from merit.assessment.models import Run, RunState
from merit.assessment.tests.conftest import MONTH, computing

pytestmark = computing


def test_a_run_left_computing_by_a_stopped_worker_is_failed_at_the_next_start(shop):
    from merit.appcli import recover_interrupted

    run = actions.request_run(shop.users["hr"], shop.version("S1"), MONTH, MONTH, enqueue=False)
    Run.objects.filter(pk=run.pk).update(state=RunState.COMPUTING)  # claimed, then the worker died
    recover_interrupted()
    run.refresh_from_db()
    assert run.state == RunState.FAILED and run.error.startswith("interrupted")
    assert not run.agent_results.exists()
