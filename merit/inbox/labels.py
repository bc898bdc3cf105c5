"""Texts other apps show for the inbox (the menu entry), translated by this app's catalogue."""

from django.utils.translation import gettext as _


def nav_label(unread: int) -> str:
    return _("Notifications (%(n)s)") % {"n": unread} if unread else _("Notifications")
