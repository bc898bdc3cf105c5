"""Menu labels of the procedure's pages (translated in this app's catalogue)."""

from django.utils.translation import gettext_lazy as _

NAV_LABEL = _("Rewards and penalties")
MY_FILE_LABEL = _("My file")
