"""`{% link 'name' %}` (or `{% link 'name' id %}`): a view's URL from a pattern worked out once per process.

The navigation on every page names some twenty URLs; `{% url %}` resolves each one again on every request (a tenth
of a cached chair board's time). See `infusion_center.links`.
"""

from __future__ import annotations

from django import template

from infusion_center import links

register = template.Library()


@register.simple_tag
def link(name: str, *ids: int) -> str:
    return links.link(name, *ids)
