"""The preview of a notice import: the proposal's records as forms the editor corrects;
and the enterprise profile of 政策匹配."""

import re
from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.text import localized
from core.widgets import FacetCheckboxes
from policies.importer import NoticeProposal
from policies.models import Classification, DocType, Level, Notice, SizeClass, vocabulary

TEXTAREA = forms.Textarea(attrs={"rows": 3, "cols": 60})


class ImportedNoticeForm(forms.Form):
    source_text = forms.CharField(widget=forms.HiddenInput, strip=False)
    source_name = forms.CharField(widget=forms.HiddenInput)
    doc_number = forms.CharField(label="发文字号", max_length=100)
    slug = forms.SlugField(
        label="网址标识",
        max_length=80,
        help_text="用于网址的英文短名，例如 gxmd-2020-14；创建后请勿修改。",
    )
    title = forms.CharField(label="标题", max_length=300, widget=TEXTAREA)
    issuing_body = forms.CharField(
        label="发文机关",
        max_length=200,
        help_text="照原文，联合发文以空格分隔；词表中没有的机关会新建。",
    )
    level = forms.ChoiceField(label="层级", choices=[("", "—"), *Level.choices])
    level_is_editorial = forms.BooleanField(label="层级为编者判断", required=False)
    doc_type = forms.ChoiceField(label="文种", choices=[("", "—"), *DocType.choices])
    doc_type_is_editorial = forms.BooleanField(label="文种为编者判断", required=False)
    issued_on = forms.DateField(label="成文日期", help_text="例如 2020-02-09。")
    addressees = forms.CharField(label="主送机关", widget=TEXTAREA)
    preamble = forms.CharField(label="导语", widget=TEXTAREA)
    closing = forms.CharField(label="结束语", required=False, widget=TEXTAREA)
    signature = forms.CharField(label="落款", max_length=200)
    signature_date = forms.CharField(label="落款日期", max_length=50)
    is_abridged = forms.BooleanField(label="原文有删减", required=False)
    abridged_note = forms.CharField(label="删减说明", max_length=100, required=False)
    published_in = forms.CharField(
        label="刊载于", max_length=200, help_text="本库所据的刊物或网站（编者说明）。"
    )
    official_url = forms.URLField(label="官方全文网址", required=False, assume_scheme="https")

    def clean_doc_number(self):
        doc_number = self.cleaned_data["doc_number"]
        if Notice.objects.filter(doc_number=doc_number).exists():
            raise ValidationError("本库已有这个发文字号的通知：不重复导入。", code="duplicate")
        return doc_number

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if Notice.objects.filter(slug=slug).exists():
            raise ValidationError("这个网址标识已被另一份通知使用。", code="duplicate")
        return slug


class ImportedHeadingForm(forms.Form):
    ordinal = forms.IntegerField(label="序号", min_value=1, widget=forms.HiddenInput)
    title = forms.CharField(label="标题", max_length=200)


class ImportedMeasureForm(forms.Form):
    number = forms.IntegerField(label="条号", min_value=1)
    heading = forms.IntegerField(label="所属部分", min_value=1)
    title = forms.CharField(
        label="小标题",
        max_length=200,
        help_text="原文没有小标题的条目，请拟定一个（将标为编者拟定）。",
        error_messages={"required": "请填写小标题：原文没有的，由编者拟定。"},
    )
    title_is_editorial = forms.BooleanField(label="编者拟定标题", required=False)
    text = forms.CharField(label="正文", widget=forms.Textarea(attrs={"rows": 4, "cols": 60}))


class BaseMeasureFormSet(forms.BaseFormSet):
    def __init__(self, *args, headings: set[int] = frozenset(), **kwargs):
        self.headings = headings
        super().__init__(*args, **kwargs)

    def clean(self):
        numbers = [f.cleaned_data.get("number") for f in self.forms if f.cleaned_data]
        if len(numbers) != len(set(numbers)):
            raise ValidationError("措施的条号有重复：每条措施的条号在通知中须唯一。")
        for form in self.forms:
            heading = form.cleaned_data.get("heading")
            if heading is not None and heading not in self.headings:
                form.add_error("heading", f"没有序号为 {heading} 的标题。")


HeadingFormSet = forms.formset_factory(ImportedHeadingForm, extra=0)
MeasureFormSet = forms.formset_factory(ImportedMeasureForm, formset=BaseMeasureFormSet, extra=0)


def proposal_initial(proposal: NoticeProposal, source_text: str, source_name: str) -> dict:
    return {
        "source_text": source_text,
        "source_name": source_name,
        "doc_number": proposal.doc_number,
        "slug": proposed_slug(proposal),
        "title": proposal.title,
        "issuing_body": proposal.issuing_body,
        "level": proposal.level,
        "level_is_editorial": proposal.level_is_editorial,
        "doc_type": proposal.doc_type,
        "doc_type_is_editorial": proposal.doc_type_is_editorial,
        "issued_on": proposal.issued_on,
        "addressees": proposal.addressees,
        "preamble": proposal.preamble,
        "closing": proposal.closing,
        "signature": proposal.signature,
        "signature_date": proposal.signature_date,
        "is_abridged": bool(proposal.abridged_note),
        "abridged_note": proposal.abridged_note,
        "published_in": f"导入自{source_name}",
    }


def proposed_slug(proposal: NoticeProposal) -> str:
    """notice-2020-14 from 工信明电〔2020〕14号 (the editor may shorten the agency in front)."""
    numbers = re.findall(r"\d+", proposal.doc_number)
    base = "-".join(["notice", *numbers]) if numbers else "notice"
    slug, n = base, 1
    while Notice.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


class TermChoice(forms.ChoiceField):
    """A classification chosen by its slug among `terms()` (from the vocabulary: no query),
    named in the page's language; cleaned to the term, or None when none is chosen."""

    def __init__(self, terms: Callable[[], list[Classification]], *, empty_label, **kwargs):
        self.terms = terms
        super().__init__(choices=self.term_choices, required=False, **kwargs)
        self.empty_label = empty_label

    def term_choices(self) -> list[tuple[str, str]]:
        return [("", self.empty_label), *((t.slug, localized(t)) for t in self.terms())]

    def clean(self, value):
        slug = super().clean(value)
        return next((t for t in self.terms() if t.slug == slug), None) if slug else None


class TermChoices(forms.MultipleChoiceField):
    """Several classifications among `terms()`, ticked as checkboxes, chosen by their slugs;
    cleaned to the terms in their order."""

    widget = FacetCheckboxes

    def __init__(self, terms: Callable[[], list[Classification]], **kwargs):
        self.terms = terms
        super().__init__(choices=self.term_choices, required=False, **kwargs)

    def term_choices(self) -> list[tuple[str, str]]:
        return [(t.slug, localized(t)) for t in self.terms()]

    def clean(self, value):
        slugs = set(super().clean(value))
        return [t for t in self.terms() if t.slug in slugs]


class MatchForm(forms.Form):
    """An enterprise as staff describe it for 政策匹配 (a GET form: the profile is the URL).
    Every choice but the size class comes from the classifications, so a target group,
    region or topic added in the admin is offered here."""

    size = forms.ChoiceField(
        label=_("企业规模"),
        choices=SizeClass.choices,
        widget=forms.RadioSelect,
        help_text=_("按国家中小企业划型标准；个体工商户不属于企业划型。"),
    )
    province = TermChoice(
        lambda: vocabulary().provinces(),
        label=_("所在省份（自治区、直辖市）"),
        empty_label=_("不填"),
    )
    city = TermChoice(
        lambda: vocabulary().cities(),
        label=_("所在城市"),
        empty_label=_("不填"),
        help_text=_("可选的城市是后台填了“所属省份”的地区；措施点名所在省份的也算。"),
    )
    situation = TermChoices(
        lambda: vocabulary().situations(),
        label=_("企业情况"),
        help_text=_("选项是措施的支持对象（编者分类）；符合几项勾几项。"),
    )
    need = TermChoices(
        lambda: list(vocabulary().topics.values()),
        label=_("需要的支持"),
        help_text=_(
            "选项是措施的政策工具/主题（编者分类），例如需要融资可勾信贷、融资担保、融资产品与服务；"
            "只影响排序，不排除措施。"
        ),
    )

    def clean(self):
        cleaned = super().clean()
        province, city = cleaned.get("province"), cleaned.get("city")
        if city is not None:
            if province is not None and city.parent_id != province.pk:
                raise ValidationError(
                    _("%(city)s 不在 %(province)s：请改选省份或城市。"),
                    code="city_outside_province",
                    params={"city": localized(city), "province": localized(province)},
                )
            cleaned["province"] = city.parent
        return cleaned
