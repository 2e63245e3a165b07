from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core.text import has_han


class FacetCheckboxes(forms.CheckboxSelectMultiple):
    """A facet's values as checkboxes, any number of them ticked, each with its count;
    rendered directly (a facet can offer dozens, on every list page), and marking Chinese labels on English pages."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        base = attrs.get("id") or f"id_{name}"
        ticked = {str(v) for v in (value or [])}
        english = get_language() == "en"
        options = format_html_join(
            "",
            '<li><input type="checkbox" name="{}" value="{}" id="{}"{}>'
            ' <label for="{}"{}>{}</label></li>',
            (
                (
                    name,
                    option_value,
                    f"{base}_{index}",
                    mark_safe(" checked") if str(option_value) in ticked else "",
                    f"{base}_{index}",
                    mark_safe(' lang="zh-Hans"') if english and has_han(label) else "",
                    label,
                )
                for index, (option_value, label) in enumerate(self.choices)
            ),
        )
        return format_html('<ul class="facet-options" id="{}">{}</ul>', base, options)
