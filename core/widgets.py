from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core.text import has_han


class BilingualSelect(forms.Select):
    """A select for filter facets, rendered directly rather than through a template per
    option (a facet can offer dozens of options, on every list page). On English pages
    its Chinese option labels (a document number, a heading not yet translated) say
    they are Chinese, for screen readers."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        selected = "" if value is None else str(value)
        english = get_language() == "en"
        options = format_html_join(
            "",
            '<option value="{}"{}{}>{}</option>',
            (
                (
                    option_value,
                    mark_safe(" selected") if str(option_value) == selected else "",
                    mark_safe(' lang="zh-Hans"') if english and has_han(label) else "",
                    label,
                )
                for option_value, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt({**attrs, "name": name}), options)
