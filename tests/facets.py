"""Reading a list page's facets: each value's checkbox, its label (with the count) and
whether it is ticked."""

import re


def facet_options(body: str, name: str) -> dict[str, tuple[str, bool]]:
    """{value: (label, ticked)} of one facet's checkboxes."""
    found = {}
    pattern = (
        rf'<input type="checkbox" name="{re.escape(name)}" value="([^"]*)" id="[^"]*"( checked)?>'
        r'\s*<label for="[^"]*"[^>]*>([^<]*)</label>'
    )
    for value, checked, label in re.findall(pattern, body):
        found[value] = (label, bool(checked))
    return found


def option(response, name: str, value: str) -> tuple[str, bool] | None:
    return facet_options(response.content.decode(), name).get(value)
