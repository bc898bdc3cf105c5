"""Sign-in protection: CSRF on every form, the lockout after repeated wrong passwords, a new session key at
sign-in, and the end of a deactivated user's sessions."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client

from merit.web.sessions import end_sessions
from merit.web.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def token_of(client: Client) -> str:
    return client.cookies["csrftoken"].value


# --- CSRF ------------------------------------------------------------------------------------------------


def test_sign_in_without_csrf_token_is_refused(world):
    client = csrf_client()
    response = client.post("/login/", {"username": "li", "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_KEY not in client.session


def test_sign_in_with_the_pages_csrf_token_works(world):
    client = csrf_client()
    client.get("/login/")
    response = client.post(
        "/login/", {"username": "li", "password": PASSWORD, "csrfmiddlewaretoken": token_of(client)}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(world.user("li").pk)


def test_sign_out_without_csrf_token_is_refused(world):
    client = csrf_client()
    client.force_login(world.user("li"))
    assert client.post("/logout/").status_code == 403
    assert client.get("/").status_code == 200  # still signed in
    assert client.get("/logout/").status_code == 405  # signing out is never a GET
    home = client.get("/")
    assert client.post("/logout/", {"csrfmiddlewaretoken": home.context["csrf_token"]}).status_code == 302
    assert client.get("/").status_code == 302


def test_language_switch_without_csrf_token_is_refused():
    client = csrf_client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 403
    assert "django_language" not in client.cookies


def test_htmx_requests_send_the_token_in_a_header(world):
    """Pages put the token in hx-headers; a POST with it as X-CSRFToken passes the check."""
    client = csrf_client()
    client.force_login(world.user("li"))
    page = client.get("/").content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
    response = client.post("/logout/", headers={"X-CSRFToken": token_of(client), "HX-Request": "true"})
    assert response.status_code == 302


# --- lockout (django-axes) --------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_sign_in_for_15_minutes(world, client):
    for attempt in range(1, 5):
        response = client.post("/login/", {"username": "li", "password": f"wrong-{attempt}"})
        assert response.status_code == 200, attempt  # the form again, with an error
        assert "请输入一个正确的" in response.content.decode()
    fifth = client.post("/login/", {"username": "li", "password": "wrong-5"})
    assert fifth.status_code == 429

    response = client.post("/login/", {"username": "li", "password": PASSWORD})
    page = response.content.decode()
    assert response.status_code == 429
    assert "登录已锁定" in page and "Sign-in locked" in page
    assert "15 分钟" in page and "15 minutes" in page
    assert SESSION_KEY not in client.session
    assert client.get("/").status_code == 302  # nothing signed in


def test_a_lockout_is_per_user_name_and_address(world, client):
    for attempt in range(5):
        client.post("/login/", {"username": "li", "password": f"wrong-{attempt}"})
    assert client.post("/login/", {"username": "li", "password": PASSWORD}).status_code == 429
    # another user from the same address, and the same user from another address, still sign in
    assert client.post("/login/", {"username": "wang", "password": PASSWORD}).status_code == 302
    client.post("/logout/")
    other = Client(REMOTE_ADDR="10.0.0.7")
    assert other.post("/login/", {"username": "li", "password": PASSWORD}).status_code == 302


def test_a_good_password_before_the_limit_resets_the_count(world, client):
    for attempt in range(4):
        client.post("/login/", {"username": "li", "password": f"wrong-{attempt}"})
    assert client.post("/login/", {"username": "li", "password": PASSWORD}).status_code == 302
    client.post("/logout/")
    for attempt in range(4):
        assert client.post("/login/", {"username": "li", "password": f"again-{attempt}"}).status_code == 200
    assert client.post("/login/", {"username": "li", "password": PASSWORD}).status_code == 302


def test_the_sign_in_page_states_the_rule(client):
    page = client.get("/login/").content.decode()
    assert "连续 5 次密码错误后，登录将被锁定 15 分钟" in page


# --- sessions ---------------------------------------------------------------------------------------------


def test_sign_in_gives_the_session_a_new_key(world, client):
    before = client.session  # a session that exists before signing in (as a visitor's would)
    before["seen"] = True
    before.save()
    old_key = before.session_key

    response = client.post("/login/", {"username": "li", "password": PASSWORD})
    assert response.status_code == 302
    new_key = client.cookies["sessionid"].value
    assert new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()  # the old key cannot be reused
    assert client.session[SESSION_KEY] == str(world.user("li").pk)

    # someone holding the old key is not signed in
    thief = Client()
    thief.cookies["sessionid"] = old_key
    assert thief.get("/").status_code == 302


def test_deactivating_a_user_ends_their_sessions(world):
    li = world.user("li")
    laptop, phone, colleague = Client(), Client(), Client()
    for c in (laptop, phone):
        assert c.post("/login/", {"username": "li", "password": PASSWORD}).status_code == 302
    colleague.post("/login/", {"username": "wang", "password": PASSWORD})
    assert laptop.get("/").status_code == 200 and phone.get("/").status_code == 200
    assert Session.objects.count() == 3

    li.is_active = False
    li.save()

    assert Session.objects.count() == 1  # li's two sessions are gone, wang's stays
    assert laptop.get("/").status_code == 302
    assert phone.get("/people/").status_code == 302
    assert colleague.get("/").status_code == 200


def test_a_user_set_inactive_without_a_save_is_signed_out_on_the_next_request(world, client):
    """A bulk update skips signals; the authentication backend still refuses an inactive user."""
    client.post("/login/", {"username": "li", "password": PASSWORD})
    assert client.get("/").status_code == 200
    type(world.user("li")).objects.filter(username="li").update(is_active=False)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/people/li/").status_code == 302


def test_saving_an_inactive_user_for_another_reason_is_harmless(world):
    li = world.user("li")
    li.is_active = False
    li.save()
    li.first_name = "明"
    li.save(update_fields=["first_name"])
    assert end_sessions(li) == 0
