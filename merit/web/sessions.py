"""A deactivated user's sessions end.

Two layers, so that no path leaves a deactivated user signed in:

1. Every request: Django's ``ModelBackend.get_user`` refuses an inactive user, so the next request of a user
   set inactive by any means (admin page, shell, a bulk ``update()``) is anonymous.
2. On deactivation through a save (the admin's 有效 box, ``user.save()``): :func:`end_sessions` deletes the
   user's stored sessions at once, so nothing of them is left to reuse.

Sessions live in the database (Django's default engine). They are found by decoding the unexpired ones and
comparing their ``_auth_user_id``: there are few of them (one working day of sign-ins) and deactivation is
rare, so this needs no extra table mapping users to session keys.
"""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone


def end_sessions(user) -> int:
    """Delete every unexpired session signed in as ``user``; return how many."""
    user_key = str(user.pk)
    keys = [
        s.session_key
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if s.get_decoded().get(SESSION_KEY) == user_key
    ]
    if keys:
        Session.objects.filter(session_key__in=keys).delete()
    return len(keys)


def end_sessions_of_deactivated(sender, instance, created, update_fields=None, **kwargs):
    """``post_save`` receiver on the user model."""
    if created or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    end_sessions(instance)
