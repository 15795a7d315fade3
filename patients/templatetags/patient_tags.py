import re

from django import template

register = template.Library()

_SEPARATORS = re.compile(r"[\n;,]+")


@register.filter
def one_per_line(text: str) -> list[str]:
    """A free-text list (allergies) split into its items: one per line, comma or semicolon.

    Commas inside brackets stay: 'Penicillin (rash, hives)' is one item."""
    items, depth, current = [], 0, ""
    for char in text or "":
        depth += char == "("
        depth -= char == ")" and depth > 0
        if depth == 0 and _SEPARATORS.match(char):
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    return [item.strip() for item in items if item.strip()]
