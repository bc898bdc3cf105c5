"""Names of the org choices in the page's language (the models' own labels carry both languages, for the
admin; the pages show one)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from merit.org.models import AgentRole, Employment

POSITIONS = {
    AgentRole.PRE_SALES: _("Pre-sales"),
    AgentRole.AFTER_SALES: _("After-sales"),
    AgentRole.CLOUD: _("Cloud agent"),
}
EMPLOYMENT = {
    Employment.REGULAR: _("Regular"),
    Employment.PROBATION: _("Probation"),
    Employment.PART_TIME: _("Part-time"),
}
