"""The preview of an article import: the proposal's records as forms the editor corrects,
and each proposed figure and action quantity accepted or rejected."""

from django import forms
from django.core.exceptions import ValidationError

from industry.importer import ArticleProposal
from industry.models import PRINTED_NUMBER, ActionKind, Article, Company, Figure, Indicator, Product

TEXTAREA = forms.Textarea(attrs={"rows": 3, "cols": 60})
PROVINCES = [
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
]


class ImportedArticleForm(forms.Form):
    source_text = forms.CharField(widget=forms.HiddenInput, strip=False)
    source_name = forms.CharField(widget=forms.HiddenInput)
    title = forms.CharField(label="标题", max_length=300)
    slug = forms.SlugField(label="网址标识", max_length=80, help_text="用于网址的英文短名。")
    author = forms.CharField(label="作者单位", max_length=200)
    column = forms.ChoiceField(label="栏目", choices=[("", "—"), *Article.Column.choices])
    published_in = forms.CharField(label="刊载于", max_length=200)

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if Article.objects.filter(slug=slug).exists():
            raise ValidationError("这个网址标识已被另一篇文章使用。", code="duplicate")
        return slug

    def clean_title(self):
        title = self.cleaned_data["title"]
        if Article.objects.filter(title=title).exists():
            raise ValidationError("本库已有同名的文章：不重复导入。", code="duplicate")
        return title


class ImportedSectionForm(forms.Form):
    position = forms.IntegerField(widget=forms.HiddenInput)
    parent = forms.IntegerField(widget=forms.HiddenInput, required=False)
    kind = forms.CharField(widget=forms.HiddenInput)
    anchor = forms.SlugField(label="锚点", max_length=60)
    number = forms.CharField(label="原文编号", max_length=10, required=False)
    heading = forms.CharField(label="标题", max_length=200, required=False)
    editorial_note = forms.CharField(label="编者注", required=False, widget=TEXTAREA)
    # A story's company: found by name, or created with these.
    company = forms.CharField(label="企业名称", max_length=100, required=False)
    company_slug = forms.SlugField(label="企业网址标识", max_length=60, required=False)
    company_name_en = forms.CharField(label="企业英文名称", max_length=150, required=False)
    company_province = forms.CharField(label="省（区）", max_length=20, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") != "lead" and not cleaned.get("heading"):
            self.add_error("heading", "除导语外，每个部分都要有标题。")
        name = cleaned.get("company")
        if name and not Company.objects.filter(name=name).exists():
            for field in ("company_slug", "company_name_en", "company_province"):
                if not cleaned.get(field):
                    self.add_error(field, "新企业需要填写此项。")
            slug = cleaned.get("company_slug")
            if slug and Company.objects.filter(slug=slug).exists():
                self.add_error("company_slug", "这个网址标识已被另一家企业使用。")
        return cleaned


class ImportedParagraphForm(forms.Form):
    section = forms.IntegerField(widget=forms.HiddenInput)
    position = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(label="段落", widget=forms.Textarea(attrs={"rows": 4, "cols": 60}))


class ProposalForm(forms.Form):
    """A proposed record the editor accepts (ticks 采用) or rejects; only an accepted
    one must be complete, and only it is stored."""

    accept = forms.BooleanField(label="采用", required=False)
    section = forms.IntegerField(widget=forms.HiddenInput)
    paragraph = forms.IntegerField(widget=forms.HiddenInput)
    sentence = forms.CharField(widget=forms.HiddenInput)
    required_when_accepted: tuple[str, ...] = ()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("accept"):
            for name in self.required_when_accepted:
                if cleaned.get(name) in (None, ""):
                    self.add_error(name, "采用时必须填写。")
        return cleaned


class ImportedFigureForm(ProposalForm):
    value_text = forms.CharField(label="数值", max_length=20, validators=[PRINTED_NUMBER])
    unit = forms.ChoiceField(label="单位", choices=Figure.Unit.choices)
    is_approximate = forms.BooleanField(label="约数", required=False)
    product = forms.ModelChoiceField(
        label="产品", queryset=Product.objects.all(), to_field_name="slug", required=False
    )
    indicator = forms.ModelChoiceField(
        label="指标", queryset=Indicator.objects.all(), to_field_name="slug", required=False
    )
    breakdown = forms.CharField(label="分项", max_length=40, required=False)
    year = forms.IntegerField(label="年份", min_value=1949, max_value=2100, required=False)
    period_text = forms.CharField(label="时期（照原文）", max_length=40, required=False)
    change_direction = forms.ChoiceField(
        label="变化方向", choices=[("", "—"), *Figure.Direction.choices], required=False
    )
    change_abs_text = forms.CharField(
        label="变化量", max_length=20, required=False, validators=[PRINTED_NUMBER]
    )
    change_pct_text = forms.CharField(
        label="变化率%", max_length=20, required=False, validators=[PRINTED_NUMBER]
    )
    change_is_approximate = forms.BooleanField(label="变化为约数", required=False)
    change_as_printed = forms.CharField(label="变化（原文写法）", max_length=60, required=False)
    basis = forms.CharField(label="统计口径", max_length=40, required=False)

    required_when_accepted = ("product", "indicator", "year")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("accept"):
            direction = cleaned.get("change_direction")
            amount = cleaned.get("change_abs_text") or cleaned.get("change_pct_text")
            if bool(direction) != bool(amount):
                self.add_error(
                    "change_direction", "变化方向和变化量（或变化率）要同时填写或同时留空。"
                )
        return cleaned


class ImportedActionForm(ProposalForm):
    company = forms.CharField(widget=forms.HiddenInput)
    kind = forms.ModelChoiceField(
        label="类别", queryset=ActionKind.objects.all(), to_field_name="slug", required=False
    )
    item = forms.CharField(label="物资或对象", max_length=100, required=False)
    quantity_qualifier = forms.CharField(label="限定词", max_length=10, required=False)
    quantity_text = forms.CharField(label="数量（照原文）", max_length=20)
    quantity = forms.DecimalField(label="数量", max_digits=12, decimal_places=2)
    unit = forms.CharField(label="单位", max_length=10)

    required_when_accepted = ("kind",)


SectionFormSet = forms.formset_factory(ImportedSectionForm, extra=0)
ParagraphFormSet = forms.formset_factory(ImportedParagraphForm, extra=0)
FigureFormSet = forms.formset_factory(ImportedFigureForm, extra=0)
ActionFormSet = forms.formset_factory(ImportedActionForm, extra=0)


def proposal_initial(proposal: ArticleProposal, source_text: str, source_name: str) -> dict:
    """Initial data for the preview's forms, by formset prefix."""
    sections = []
    for s in proposal.sections:
        province = next((p for p in PROVINCES if s.company.startswith(p)), "")
        sections.append(
            {
                "position": s.position,
                "parent": s.parent,
                "kind": s.kind,
                "anchor": s.anchor,
                "number": s.number,
                "heading": s.heading,
                "company": s.company,
                "company_province": province,
            }
        )
    return {
        "article": {
            "source_text": source_text,
            "source_name": source_name,
            "title": proposal.title,
            "slug": proposed_slug(),
            "author": proposal.author,
            "column": proposal.column,
            "published_in": f"导入自{source_name}",
        },
        "sections": sections,
        "paragraphs": [
            {"section": s.position, "position": p.position, "text": p.text}
            for s in proposal.sections
            for p in s.paragraphs
        ],
        # A figure starts ticked when its product and indicator were both guessed.
        "figures": [
            {**vars(f), "accept": bool(f.product and f.indicator)} for f in proposal.figures
        ],
        "actions": [{**vars(a), "accept": bool(a.kind)} for a in proposal.actions],
    }


def proposed_slug() -> str:
    n = Article.objects.count() + 1
    while Article.objects.filter(slug=f"article-{n}").exists():
        n += 1
    return f"article-{n}"
