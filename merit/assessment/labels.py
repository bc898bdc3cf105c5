"""Names of the run pages in the main menu (merit.web.context), translated by this app's catalogue."""

from django.utils.translation import gettext_lazy as _

RUNS_LABEL = _("Assessment runs")  # 考核批次: HR, admins and supervisors
MY_RESULTS_LABEL = _("My results")  # 我的考核: an agent's published months
