from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core.text import has_han


class FacetCheckboxes(forms.CheckboxSelectMultiple):
    """A facet's values as checkboxes, any number of them ticked, each with its count;
    rendered directly (a facet can offer hundreds, on every list page), and marking Chinese labels on English pages."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        base = attrs.get("id") or f"id_{name}"
        ticked = {str(v) for v in (value or [])}
        english = get_language() == "en"
        # One escape per value and one f-string per option: format_html_join escaped all
        # seven parts of every option, thousands of calls on a list page.
        name_html, base_html = conditional_escape(name), conditional_escape(base)
        options = []
        for index, (option_value, label) in enumerate(self.choices):
            option_id = f"{base_html}_{index}"
            checked = " checked" if str(option_value) in ticked else ""
            lang = ' lang="zh-Hans"' if english and has_han(label) else ""
            options.append(
                f'<li><input type="checkbox" name="{name_html}"'
                f' value="{conditional_escape(option_value)}" id="{option_id}"{checked}>'
                f' <label for="{option_id}"{lang}>{conditional_escape(label)}</label></li>'
            )
        return format_html(
            '<ul class="facet-options" id="{}">{}</ul>', base, mark_safe("".join(options))
        )
