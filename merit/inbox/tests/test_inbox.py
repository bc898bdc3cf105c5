"""The inbox: a user sees and opens only their own notifications; the menu counts the unread ones."""

from __future__ import annotations

import pytest
from django.core import mail

from merit.inbox.models import Notification
from merit.inbox.notify import notify

pytestmark = pytest.mark.django_db


def test_a_user_reads_only_their_own_notifications(client_for, world):
    li, wang = world.user("li"), world.user("wang")
    mine = notify(li, "notice.issued", "处罚单待确认", "请确认处罚单 CF-1", url="/ledger/")
    theirs = notify(wang, "notice.issued", "王的处罚单")
    client = client_for("li")
    page = client.get("/inbox/").content.decode()
    assert "处罚单待确认" in page and "王的处罚单" not in page
    assert "通知（1）" in client.get("/").content.decode()  # the menu counts unread ones
    assert client.post(f"/inbox/{theirs.pk}/open/").status_code == 404
    response = client.post(f"/inbox/{mine.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/ledger/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert "通知（1）" not in client.get("/").content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_link_off_the_site_is_never_followed(client_for, world):
    note = notify(world.user("li"), "x", "外链", url="https://evil.example/")
    assert client_for("li").post(f"/inbox/{note.pk}/open/")["Location"] == "/inbox/"


def test_email_is_sent_only_when_configured(settings, world, django_capture_on_commit_callbacks):
    li = world.user("li")
    li.email = "li@example.com"
    li.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(li, "x", "不发邮件")
    assert mail.outbox == []
    settings.MERIT_NOTIFY_EMAIL = True
    with django_capture_on_commit_callbacks(execute=True):
        note = notify(li, "appeal.decided", "申诉已答复", "您的申诉已处理", url="/appeals/1/")
    assert [m.subject for m in mail.outbox] == ["申诉已答复"]
    assert "/appeals/1/" in mail.outbox[0].body
    assert Notification.objects.get(pk=note.pk).emailed


def test_an_inactive_user_gets_nothing(world):
    user = world.user("li")
    user.is_active = False
    user.save()
    assert notify(user, "x", "y") is None
    assert Notification.objects.count() == 0
