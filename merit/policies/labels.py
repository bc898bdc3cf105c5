"""Texts other apps show for the policies (the menu entry), translated by this app's catalogue."""

from django.utils.translation import gettext_lazy as _

NAV_LABEL = _("Policies")
