from django import template

from merit.web.labels import EMPLOYMENT, POSITIONS

register = template.Library()


@register.filter
def position(value: str) -> str:
    """An agent's position (岗位) in the page's language: ``{{ agent.role|position }}``."""
    return POSITIONS.get(value, value)


@register.filter
def employment(value: str) -> str:
    """An agent's kind of employment (用工) in the page's language."""
    return EMPLOYMENT.get(value, value)
