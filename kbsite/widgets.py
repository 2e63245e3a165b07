import re

from django import forms
from django.utils.translation import get_language

HAN = re.compile(r"[\u3400-\u9fff]")


class BilingualSelect(forms.Select):
    """A select whose Chinese option labels say they are Chinese on English pages (a
    document number, a heading with no English title yet), for screen readers."""

    def create_option(self, name, value, label, *args, **kwargs):
        option = super().create_option(name, value, label, *args, **kwargs)
        if get_language() == "en" and HAN.search(str(label)):
            option["attrs"]["lang"] = "zh-Hans"
        return option
