"""404, 403 and 500 pages inside the site's layout (menu, language switch), in both languages, each with
a way back; the browser tab shows the favicon. As in production, with DEBUG off."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production_errors(settings):
    settings.DEBUG = False  # Django's own debug pages otherwise


def test_a_page_that_does_not_exist_is_a_404_in_the_layout(client_for):
    client = client_for("li")
    response = client.get("/no/such/page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert 'data-testid="error-404"' in page and "找不到页面" in page
    assert '<nav class="menu"' in page and "售后工单" in page  # the menu of the layout, as on any page
    assert 'href="/"' in page and "返回首页" in page and "返回上一页" in page
    assert "web/favicon" in page
    english = client.get("/no/such/page/", headers={"Accept-Language": "en"}).content.decode()
    assert "No such page" in english and "Back to the home page" in english


def test_a_role_without_the_right_gets_a_403_saying_why(client_for):
    response = client_for("li").get("/imports/")  # an agent does not import
    page = response.content.decode()
    assert response.status_code == 403
    assert 'data-testid="error-403"' in page and "无权操作" in page
    assert "只有" in page or "Only HR" in page  # the reason of the refusal
    assert '<nav class="menu"' in page and "返回首页" in page


def test_a_server_error_page_needs_nothing_that_may_have_failed():
    response = server_error(RequestFactory().get("/"))  # rendered with an empty context
    page = response.content.decode()
    assert response.status_code == 500
    assert "服务器出错了" in page and "Something went wrong on the server" in page
    assert 'href="/"' in page and "web/merit" in page


@pytest.mark.urls("merit.web.tests.urls_boom")
def test_a_server_error_shows_the_page_and_leaves_its_traceback_in_the_log(client, caplog):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500 and "服务器出错了" in response.content.decode()
    [record] = [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]
    assert record.exc_info and "boom on purpose" in str(record.exc_info[1])


def test_errors_reach_standard_error_whatever_debug_says():
    import logging

    from django.conf import settings

    line = settings.LOGGING["formatters"]["line"]["format"]
    root = logging.getLogger()
    # merit's handler (pytest adds its own capture handlers beside it)
    assert any(h.formatter is not None and h.formatter._fmt == line for h in root.handlers)
    assert logging.getLogger("django").handlers == []  # no mail-only handler swallowing them
    assert logging.getLogger("django.request").getEffectiveLevel() <= logging.ERROR


@pytest.mark.parametrize(
    "path", ["/api/runs/abc", "/api/teams/a%2Fb", "/api/nothing-here", "/api/agents/x/y"]
)
def test_an_api_path_no_route_matches_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "未找到 Not found"}


@pytest.mark.urls("merit.web.tests.urls_boom")
def test_a_server_error_under_the_api_is_json_and_logged(client, caplog):
    client.raise_request_exception = False
    response = client.get("/api/boom/")
    assert response.status_code == 500 and response["Content-Type"].startswith("application/json")
    assert "Server error" in response.json()["detail"]
    [record] = [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]
    assert "boom on purpose" in str(record.exc_info[1])


@pytest.mark.urls("merit.web.tests.urls_boom")
def test_every_request_has_an_id_and_a_log_line_and_a_500_carries_the_id(client, caplog, django_user_model):
    import logging

    caplog.set_level(logging.INFO, logger="merit.request")
    client.raise_request_exception = False
    user = django_user_model.objects.create_user("ops-check")
    client.force_login(user)
    ok = client.get("/", headers={"X-Request-ID": "trace-42"})
    assert ok["X-Request-ID"] == "trace-42"
    [line] = [r for r in caplog.records if r.name == "merit.request"]
    assert line.getMessage().startswith("GET / 200 ") and line.getMessage().endswith("user=ops-check")
    assert line.request_id == "trace-42"

    caplog.clear()
    client.get("/runs/999999/", headers={"X-Request-ID": "trace-43"})  # a 404, logged by Django after us
    [missing] = [r for r in caplog.records if r.name == "django.request"]
    assert missing.levelname == "WARNING" and missing.request_id == "trace-43"

    caplog.clear()
    client.get("/boom/", headers={"X-Request-ID": "bad id with spaces"})
    [error] = [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]
    [access] = [r for r in caplog.records if r.name == "merit.request"]
    assert "GET /boom/ 500" in access.getMessage()
    assert error.request_id == access.request_id != "bad id with spaces"  # a new id, the same for both
    assert len(error.request_id) == 16
