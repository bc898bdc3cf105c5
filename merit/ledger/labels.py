"""Texts other apps show for the ledgers (the menu entry), translated by this app's catalogue."""

from django.utils.translation import gettext_lazy as _

NAV_LABEL = _("Ledger")  # 台账: everyone with a role (an agent's own, a team's, everyone's)
