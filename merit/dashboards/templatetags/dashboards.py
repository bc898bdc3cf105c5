from django import template

register = template.Library()


@register.filter
def kpi_shown(value, kpi):
    """A KPI's value as people read it (rates in percent), "—" when there is none."""
    return kpi.shown(value)
