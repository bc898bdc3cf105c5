"""A run gives the command line's numbers on the same facts, whether it starts from the publication of
the month before or, without one, rebuilds its starting state from the facts (docs/runs.md)."""

from __future__ import annotations

import orjson
from django.test import Client
from django.utils import translation

from merit.assessment.tests.conftest import build_shop, computing
from merit.engine.api import assess_package
from merit.engine.policy.load import load_policy
from merit.engine.results import canonical

pytestmark = computing


def _periods(run) -> bytes:
    return canonical(orjson.loads(bytes(run.results))["periods"])


def test_a_run_without_a_publication_before_rebuilds_the_state_as_the_command_line(shop_files):
    shop = build_shop(shop_files)
    run = shop.run("2026-03", "S3")
    assert run.state_from_id is None
    cli, _ = assess_package(shop_files, load_policy("S3"), ["2026-03"])
    assert _periods(run) == canonical(cli["periods"])
    march = orjson.loads(bytes(run.results))["periods"][0]
    # February's warnings were carried in: the facts begin in February 2026
    assert march["history"]["from"] == "2026-02"
    assert any(a["state_in"]["warnings"] for a in march["agents"])
    # the run page says where the state came from, and that the 12-month ladder reaches further back
    client = Client()
    client.force_login(shop.users["hr"])
    with translation.override("en"):
        html = client.get(f"/runs/{run.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "rebuilt from the facts since 2026-02" in html
    assert 'id="history-short"' in html and "<code>ladder</code>" in html


def test_a_run_from_the_publication_before_agrees_with_rebuilding(shop_files):
    shop = build_shop(shop_files)
    february = shop.publish(shop.run("2026-02", "S3"))
    march = shop.run("2026-03", "S3")
    assert march.state_from_id == february.pk
    cli, _ = assess_package(shop_files, load_policy("S3"), ["2026-03"])
    assert _periods(march) == canonical(cli["periods"])
