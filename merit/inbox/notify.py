"""Sending a notification: ``notify(user, kind, title, body=, url=)`` stores it for the user's inbox and,
when e-mail is configured (``MERIT_NOTIFY_EMAIL``, Django's ``EMAIL_*`` settings) and the user has an
address, sends it by e-mail after the surrounding transaction commits (a rolled-back decision sends
nothing). A failed e-mail never undoes the notification: it stays in the inbox, ``emailed`` false."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from merit.inbox.models import Notification

log = logging.getLogger(__name__)


def notify(user, kind: str, title: str, body: str = "", url: str = "") -> Notification | None:
    if user is None or not user.is_active:
        return None
    note = Notification.objects.create(user=user, kind=kind, title=title[:200], body=body, url=url[:300])
    if getattr(settings, "MERIT_NOTIFY_EMAIL", False) and user.email:
        transaction.on_commit(lambda: _email(note.pk))
    return note


def notify_all(users, kind: str, title: str, body: str = "", url: str = "") -> int:
    return sum(
        1 for u in {u.pk: u for u in users if u is not None}.values() if notify(u, kind, title, body, url)
    )


def _email(pk: int) -> None:
    note = Notification.objects.select_related("user").get(pk=pk)
    link = f"{settings.MERIT_SITE_URL.rstrip('/')}{note.url}" if note.url else ""
    try:
        send_mail(note.title, f"{note.body}\n\n{link}".strip(), None, [note.user.email])
    except Exception:  # the inbox keeps it; the mail server's trouble is logged, not raised to the user
        log.exception("notification %s could not be e-mailed", pk)
        return
    Notification.objects.filter(pk=pk).update(emailed=True)


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
