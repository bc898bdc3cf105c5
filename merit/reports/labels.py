"""The reports' menu label (translated in this app's catalogue)."""

from django.utils.translation import gettext_lazy as _

NAV_LABEL = _("Reports")
