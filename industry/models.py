"""The bulletin's industry columns: two articles, the figures one states, the actions the other tells.

Text fields marked 照原文 hold the bulletin verbatim (tests/sourcetext.py proves it); everything else
(English names, years read from context, classifications, links to policy measures) is editorial.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.citation import OnlineSource, gb_t_7714, translated
from core.models import (
    NaturalKeyManager,
    NaturalKeyModel,
    Publishable,
    PublishableQuerySet,
    Searchable,
    SearchableQuerySet,
    Term,
    Versioned,
    newest_public_change,
)
from policies.models import Measure

# A number as the bulletin prints it: digits with an optional decimal part, no sign.
PRINTED_NUMBER = RegexValidator(r"^\d+(\.\d+)?$", _("请照原文填写数字，例如 4380、6270.8。"))
APPROXIMATE_QUALIFIERS = {"约", "近"}
PUBLISHED = Publishable.Status.PUBLISHED


class Article(Publishable, Versioned):
    class Column(models.TextChoices):
        INDUSTRY_NEWS = "行业资讯", _("行业资讯")
        EPIDEMIC = "抗击疫情", _("抗击疫情")

    slug = models.SlugField(
        _("网址标识"),
        max_length=80,
        unique=True,
        help_text=_("用于网址的英文短名；创建后请勿修改，以免已分享的链接失效。"),
    )
    column = models.CharField(
        _("栏目"),
        max_length=20,
        choices=Column.choices,
        help_text=_("文章在简报中所属的栏目，照原文。"),
    )
    position = models.PositiveSmallIntegerField(
        _("次序"), unique=True, help_text=_("文章在简报中的先后次序。")
    )
    title = models.CharField(_("标题"), max_length=300, help_text=_("照原文。"))
    title_en = models.CharField(
        _("英文标题"), max_length=300, blank=True, help_text=_("编者所译，英文页面用。")
    )
    author = models.CharField(_("作者单位"), max_length=200, help_text=_("署名的机构，照原文。"))
    published_in = models.CharField(
        _("刊载于"),
        max_length=200,
        help_text=_("本库所据的刊物及栏目（编者说明）。"),
    )

    objects = NaturalKeyManager.from_queryset(PublishableQuerySet)()

    class Meta:
        verbose_name = _("文章")
        verbose_name_plural = _("文章")
        ordering = ["position"]
        constraints = [*Publishable.Meta.constraints]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("industry:article-detail", args=[self.slug])

    def online_citation(self, part: str = "", *, url: str, accessed, english: bool = False) -> str:
        """This article, or a part of it (a paragraph, a figure), as a GB/T 7714-2015 reference
        (core.citation): the author body and the title as printed (on English pages with the
        editors' translation), the part, the page's URL and the day cited. The bulletin
        prints no date for its articles, so the reference gives none."""
        return gb_t_7714(
            OnlineSource(
                creators=[self.author],
                title=translated(self.title, self.title_en) if english else self.title,
                other_title=part,
                url=url,
                accessed=accessed,
                english=english,
            )
        )


class SectionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(article__status=PUBLISHED)


class Section(Versioned):
    class Kind(models.TextChoices):
        LEAD = "lead", _("导语（无标题）")
        HEADING = "heading", _("标题")
        EDITOR_NOTE = "editor-note", _("编者按")
        STORY = "story", _("企业事迹")

    article = models.ForeignKey(
        Article,
        on_delete=models.PROTECT,
        related_name="sections",
        verbose_name=_("文章"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级部分"),
        help_text=_("例如“1、产能保持理性发展……”的上级是“二、2019年行业经济运行特点”。"),
    )
    position = models.PositiveSmallIntegerField(
        _("次序"), help_text=_("在文章中的阅读次序（含下级部分，全文统一编排）。")
    )
    anchor = models.SlugField(
        _("锚点"),
        max_length=60,
        help_text=_("页面内链接用的英文标识，例如 s2-1；创建后请勿修改。"),
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.HEADING)
    number = models.CharField(
        _("原文编号"),
        max_length=10,
        blank=True,
        help_text=_("照原文，例如 一、 或 3、；原文重复或跳号时也照录，并写编者注。"),
    )
    heading = models.CharField(
        _("标题"),
        max_length=200,
        blank=True,
        help_text=_("不含编号，照原文；导语部分没有标题。"),
    )
    heading_en = models.CharField(
        _("英文标题"), max_length=200, blank=True, help_text=_("编者所译，英文页面用。")
    )
    editorial_note = models.TextField(
        _("编者注"),
        blank=True,
        help_text=_("编者对原文编排的说明（例如编号重复），页面上标为编者注。"),
    )
    number_repeated = models.BooleanField(
        _("原文编号重复"),
        default=False,
        help_text=_(
            "同一上级部分中另有部分印着相同的编号（原文有两个“3、”）时勾选："
            "引用时在编号后附标题，以免指错部分。"
        ),
    )

    objects = NaturalKeyManager.from_queryset(SectionQuerySet)()

    natural_key_fields = ("article__slug", "anchor")

    class Meta:
        verbose_name = _("部分")
        verbose_name_plural = _("部分")
        ordering = ["article__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["article", "position"], name="section_unique_position"),
            models.UniqueConstraint(fields=["article", "anchor"], name="section_unique_anchor"),
            models.CheckConstraint(
                condition=Q(kind="lead") | ~Q(heading=""),
                name="section_heading_unless_lead",
            ),
        ]

    def __str__(self) -> str:
        return self.printed_heading or str(_("导语"))

    def clean(self):
        if self.parent_id:
            if self.parent.article_id != self.article_id:
                raise ValidationError({"parent": _("上级部分必须属于同一篇文章。")})
            if self.parent.parent_id:
                raise ValidationError({"parent": _("文章只分两级。")})

    @property
    def printed_heading(self) -> str:
        """The heading as the bulletin prints it: number, heading, and the colon after 编者按."""
        colon = "：" if self.kind == self.Kind.EDITOR_NOTE else ""
        return f"{self.number}{self.heading}{colon}"

    @property
    def label(self) -> str:
        """The heading with its parent's number, e.g. 二、1、产能保持理性发展……"""
        if self.parent_id:
            return f"{self.parent.number}{self}"
        return str(self)

    @property
    def short_label(self) -> str:
        """Where in the article, as the source numbers it: 一、 or 二、1、; a number the
        source prints twice with its heading, so that a citation names one section:
        二、3、“烧碱进口增加出口下降，PVC进出口量均减少”."""
        if not self.number:
            return str(self)
        label = f"{self.parent.number}{self.number}" if self.parent_id else self.number
        if self.number_repeated:
            label += f"“{self.heading}”"
        return label

    def cited_label(self, *, english: bool = False) -> str:
        """Where in the article, for a reference: short_label, which names a section the
        source numbers twice by its heading too; on English pages with the editors' English
        heading (the printed numbers stay)."""
        if not english:
            return self.short_label
        if not self.number:
            return self.heading_en or self.heading or "introduction"
        label = f"{self.parent.number}{self.number}" if self.parent_id else self.number
        if self.number_repeated:
            label += f" “{self.heading_en or self.heading}”"
        return f"section {label}"

    def get_absolute_url(self) -> str:
        return f"{self.article.get_absolute_url()}#{self.anchor}"


def cited_part(section: Section, position: int, *, english: bool = False) -> str:
    """A paragraph's place for a reference: its section and its number in it (二、1、第2段)."""
    label = section.cited_label(english=english)
    if english:
        return f"{label}, paragraph {position}"
    label = label.removesuffix("：")  # 编者按：
    return f"{label}{'' if label.endswith('、') else ' '}第{position}段"


class ParagraphQuerySet(SearchableQuerySet):
    def published(self):
        return self.filter(section__article__status=PUBLISHED)


class Paragraph(Searchable, Versioned):
    section = models.ForeignKey(
        Section,
        on_delete=models.PROTECT,
        related_name="paragraphs",
        verbose_name=_("部分"),
    )
    position = models.PositiveSmallIntegerField(_("次序"))
    text = models.TextField(_("正文"), help_text=_("一个自然段，照原文逐字录入。"))

    objects = NaturalKeyManager.from_queryset(ParagraphQuerySet)()

    natural_key_fields = ("section__article__slug", "section__anchor", "position")
    search_related = ("section__article",)
    search_names = ("section", "section__article")

    class Meta:
        verbose_name = _("段落")
        verbose_name_plural = _("段落")
        ordering = ["section__article__position", "section__position", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "position"], name="paragraph_unique_position"
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1), name="paragraph_position_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.section} ¶{self.position}"

    def search_document(self) -> tuple[str, str]:
        """The section's heading; the text, then the article's title."""
        return self.section.printed_heading, f"{self.text}\n{self.section.article.title}"

    def is_public(self) -> bool:
        return self.section.article.is_published

    @property
    def anchor(self) -> str:
        return f"{self.section.anchor}-p{self.position}"

    def get_absolute_url(self) -> str:
        return f"{self.section.article.get_absolute_url()}#{self.anchor}"

    def cited_part(self, *, english: bool = False) -> str:
        """The section and the paragraph's place in it: 二、1、 第2段."""
        return cited_part(self.section, self.position, english=english)

    def online_citation(self, *, url: str, accessed, english: bool = False) -> str:
        return self.section.article.online_citation(
            self.cited_part(english=english), url=url, accessed=accessed, english=english
        )


class Product(Term):
    name = models.CharField(
        _("中文名称"), max_length=60, unique=True, help_text=_("照原文，例如 烧碱。")
    )
    aliases = models.CharField(
        _("原文中的其他写法"),
        max_length=100,
        blank=True,
        help_text=_("原文对同一产品的其他写法，以顿号分隔，例如 PVC。"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="variants",
        verbose_name=_("所属产品"),
        help_text=_("分项产品所属的产品，例如 固碱、液碱 属于 烧碱。"),
    )

    # Its page charts and lists its figures: their changes are its updates (最后更新).
    history_includes = ("figures",)

    class Meta(Term.Meta):
        verbose_name = _("产品")
        verbose_name_plural = _("产品")

    def get_absolute_url(self) -> str:
        return reverse("industry:product-detail", args=[self.slug])


class Indicator(Term):
    slug = models.SlugField(
        _("网址标识"),
        max_length=60,
        unique=True,
        help_text=_("编者推算按此标识识别指标（例如 capacity、output），请勿修改。"),
    )
    aliases = models.CharField(
        _("原文中的其他写法"),
        max_length=100,
        blank=True,
        help_text=_(
            "原文说这个指标的其他词语，以顿号分隔，例如 产能、总产能；导入文章时据此猜测指标。"
        ),
    )

    class Meta(Term.Meta):
        verbose_name = _("指标")
        verbose_name_plural = _("指标")


class FigureQuerySet(SearchableQuerySet):
    # Only the search index reads these token streams; no page shows them.
    SEARCH_STREAMS = (
        "search_title",
        "search_body",
        "paragraph__search_title",
        "paragraph__search_body",
    )

    def published(self):
        """The figures of published articles: what every public page, count and export reads."""
        return self.filter(section__article__status=PUBLISHED)

    def with_context(self):
        """What a figure row shows and links to, without a query per row."""
        return self.for_search().defer(*self.SEARCH_STREAMS)

    def for_page(self):
        """A figure's page: the figure with its context and its newest public change
        (`last_public_change`); the checks it takes part in come from its article's figures
        (for_checks)."""
        return self.with_context().annotate(last_public_change=newest_public_change(Figure))

    def for_checks(self):
        """What the derivations and checks read of the figures, and what the page writes of
        them (product, indicator, section, sentence): not their notes, paragraphs or search
        tokens."""
        return self.select_related("product", "indicator", "section__parent").defer(
            "search_title", "search_body", "note"
        )

    def for_table(self):
        """The figures table's rows, which link to the sentence and the paragraph but do not
        show them. Products and indicators (a few dozen rows) are fetched once rather than
        joined: PostgreSQL takes ~5 ms to plan the 8-table join, 1 ms for the 6 that remain."""
        return (
            self.select_related("section__parent", "paragraph__section__article")
            .prefetch_related("product", "indicator")
            .defer(*self.SEARCH_STREAMS, "sentence", "note", "paragraph__text")
        )

    def in_reading_order(self):
        return self.order_by("number")

    def years(self) -> list[int]:
        return list(self.order_by("year").values_list("year", flat=True).distinct())


class Figure(Searchable, Versioned):
    """One figure the article states, with the change it states beside it.

    How the article's sentences become rows: one row per stated level (a count, capacity,
    output, rate, share, import or export). A change printed in the same clause as its
    level (产量3464万吨，增长约40万吨; 出口114万吨，同比下降23%) is kept on that row. An
    absolute change of capacity (产能净增121万吨, 比2018年增长约120万吨) is a row of its own
    with the indicator 产能净增, as the article itself reports it, so that its two statements
    can be compared. A level stated twice (4380 in 一 and in 二、1、) is two rows.
    """

    class Unit(models.TextChoices):
        WAN_TONNES = "万吨", _("万吨")
        ENTERPRISES = "家", _("家")
        PERCENT = "%", _("%")
        TONNES = "吨", _("吨")
        TEN_THOUSAND_YUAN = "万元", _("万元")

    class Direction(models.TextChoices):
        UP = "up", _("增加")
        DOWN = "down", _("减少")

    number = models.PositiveIntegerField(
        _("数据编号"),
        unique=True,
        help_text=_("全库唯一，按阅读顺序编排，用于引用和网址；创建后请勿修改。"),
    )
    paragraph = models.ForeignKey(
        Paragraph,
        on_delete=models.PROTECT,
        related_name="figures",
        verbose_name=_("段落"),
    )
    # Derived from the paragraph (see save); stored so that a section lists its figures.
    section = models.ForeignKey(
        Section,
        on_delete=models.PROTECT,
        related_name="figures",
        verbose_name=_("部分"),
        editable=False,
    )
    sentence = models.TextField(_("原句"), help_text=_("说出这个数字的句子（至句号），照原文。"))
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="figures", verbose_name=_("产品")
    )
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.PROTECT,
        related_name="figures",
        verbose_name=_("指标"),
    )
    breakdown = models.CharField(
        _("分项"),
        max_length=40,
        blank=True,
        help_text=_("指标的分项，照原文，例如 电石法、乙烯法。"),
    )
    year = models.PositiveSmallIntegerField(
        _("年份"),
        help_text=_("数字所指的年份；原文写“目前”“当前”或不写时，由编者据上下文确定。"),
    )
    period_text = models.CharField(
        _("时期（照原文）"),
        max_length=40,
        blank=True,
        help_text=_("原句中表示时期的字样，例如 2019年底、当前；原句未写则留空。"),
    )
    value_text = models.CharField(
        _("数值（照原文）"),
        max_length=20,
        validators=[PRINTED_NUMBER],
        help_text=_("照原文的写法，保留小数位，例如 6270.8、4380。"),
    )
    # Derived from value_text (see save); stored so the database can sort by it.
    value = models.DecimalField(_("数值"), max_digits=14, decimal_places=4, editable=False)
    unit = models.CharField(_("单位"), max_length=10, choices=Unit.choices)
    is_approximate = models.BooleanField(
        _("约数"), default=False, help_text=_("原文数值前有“约”字时勾选。")
    )
    change_direction = models.CharField(
        _("变化方向"),
        max_length=10,
        choices=Direction.choices,
        blank=True,
        help_text=_("原文同句所述的变化：增加（增长）或减少（下降）；未述变化则留空。"),
    )
    change_abs_text = models.CharField(
        _("变化量（照原文）"),
        max_length=20,
        blank=True,
        validators=[PRINTED_NUMBER],
        help_text=_("绝对变化量，单位同数值，例如 增长约40万吨 填 40。"),
    )
    change_pct_text = models.CharField(
        _("变化率%（照原文）"),
        max_length=20,
        blank=True,
        validators=[PRINTED_NUMBER],
        help_text=_("百分比变化，不含%，例如 同比下降23% 填 23。"),
    )
    change_is_approximate = models.BooleanField(
        _("变化为约数"), default=False, help_text=_("变化量前有“约”字时勾选。")
    )
    change_as_printed = models.CharField(
        _("变化（原文写法）"),
        max_length=60,
        blank=True,
        help_text=_("例如 同比增加2.8%、增长约40万吨，照原文。"),
    )
    basis = models.CharField(
        _("统计口径"),
        max_length=40,
        blank=True,
        help_text=_("原句注明的数据来源，例如 国统局；原句未注明则留空。"),
    )
    note = models.TextField(_("编者注"), blank=True)

    objects = NaturalKeyManager.from_queryset(FigureQuerySet)()

    natural_key_fields = ("number",)
    search_related = ("product", "indicator", "section__parent", "paragraph__section__article")
    search_names = ("product", "indicator")

    class Meta:
        verbose_name = _("数据")
        verbose_name_plural = _("数据")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(number__gte=1), name="figure_number_positive"),
            models.CheckConstraint(
                condition=(
                    Q(change_direction="", change_abs_text="", change_pct_text="")
                    | (~Q(change_direction="") & (~Q(change_abs_text="") | ~Q(change_pct_text="")))
                ),
                name="figure_change_has_direction_and_amount",
            ),
            models.CheckConstraint(
                condition=Q(year__gte=1949, year__lte=2100), name="figure_year_range"
            ),
        ]

    def __str__(self) -> str:
        breakdown = f"（{self.breakdown}）" if self.breakdown else ""
        return f"#{self.number} {self.product}{self.indicator}{breakdown} {self.printed_value}"

    def search_document(self) -> tuple[str, str]:
        names = [
            self.product.name,
            self.product.name_en,
            self.product.aliases,
            self.indicator.name,
            self.indicator.name_en,
        ]
        return " ".join([*names, self.breakdown]), f"{self.sentence}\n{self.period_text}"

    def is_public(self) -> bool:
        return self.section.article.is_published

    def clean(self):
        self._derive()
        if self.paragraph_id and self.sentence and self.sentence not in self.paragraph.text:
            raise ValidationError({"sentence": _("原句必须出自所选段落。")})
        if self.change_is_approximate and not self.change_abs_text:
            raise ValidationError({"change_is_approximate": _("只有变化量可以是约数。")})

    def save(self, *args, **kwargs):
        self._derive()
        super().save(*args, **kwargs)

    def _derive(self):
        if self.paragraph_id:
            self.section_id = self.paragraph.section_id
        if self.value_text and re.fullmatch(r"\d+(\.\d+)?", self.value_text):
            self.value = Decimal(self.value_text)

    @property
    def printed_value(self) -> str:
        """The value as the sentence prints it, e.g. 约120万吨."""
        return f"{'约' if self.is_approximate else ''}{self.value_text}{self.unit}"

    @property
    def period_names_year(self) -> bool:
        """Whether the printed period already says the year (2019年, 2019年底)."""
        return str(self.year) in self.period_text

    @property
    def period_is_plain_year(self) -> bool:
        """Whether the printed period is just the year (2019年), which a year column says."""
        return self.period_text == f"{self.year}年"

    @property
    def sign(self) -> int:
        return -1 if self.change_direction == self.Direction.DOWN else 1

    @property
    def anchor(self) -> str:
        return f"figure-{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("industry:figure-detail", args=[self.number])

    def online_citation(self, *, url: str, accessed, english: bool = False) -> str:
        """The figure's page as a reference: its article, section and paragraph (a section
        number the source prints twice named by its heading too), and the figure's number."""
        # self.section is the paragraph's, fetched with its parent (with_context).
        part = cited_part(self.section, self.paragraph.position, english=english)
        part += f", figure #{self.number}" if english else f" 数据 #{self.number}"
        return self.paragraph.section.article.online_citation(
            part, url=url, accessed=accessed, english=english
        )


class CompanyQuerySet(SearchableQuerySet):
    def published(self):
        """Companies told of in a published article, and those entered without a story."""
        return self.filter(Q(story__isnull=True) | Q(story__article__status=PUBLISHED))

    def with_story(self):
        return self.select_related("story__article")


class Company(Searchable, Versioned):
    slug = models.SlugField(_("网址标识"), max_length=60, unique=True)
    name = models.CharField(
        _("企业名称"),
        max_length=100,
        unique=True,
        help_text=_("照原文小标题中的写法，例如 陕西北元化工。"),
    )
    name_en = models.CharField(_("英文名称"), max_length=150, help_text=_("编者所译。"))
    aliases = models.CharField(
        _("文中其他称呼"),
        max_length=150,
        blank=True,
        help_text=_("正文对该企业的其他称呼，以顿号分隔，照原文。"),
    )
    province = models.CharField(
        _("省（区）"), max_length=20, help_text=_("照企业名称中的写法，例如 宁夏。")
    )
    city = models.CharField(
        _("城市"),
        max_length=40,
        blank=True,
        help_text=_("原文未明言企业所在地，由编者据正文所提地点推断，见“地点说明”。"),
    )
    location_note = models.CharField(
        _("地点说明"),
        max_length=300,
        blank=True,
        help_text=_("编者说明城市从何得知。"),
    )
    story = models.OneToOneField(
        Section,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="company",
        verbose_name=_("事迹"),
        help_text=_("文章中讲述该企业的部分。"),
        limit_choices_to={"kind": Section.Kind.STORY},
    )

    objects = NaturalKeyManager.from_queryset(CompanyQuerySet)()
    # Its page lists its actions (a change of one links there): their changes are its
    # updates (最后更新).
    history_includes = ("actions",)

    search_related = ("story__article",)

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["story__article__position", "story__position", "slug"]

    def __str__(self) -> str:
        return self.name

    def search_document(self) -> tuple[str, str]:
        return f"{self.name} {self.aliases} {self.name_en}", f"{self.province} {self.city}"

    def is_public(self) -> bool:
        return self.story is None or self.story.article.is_published

    def get_absolute_url(self) -> str:
        return reverse("industry:company-detail", args=[self.slug])


class ActionKind(Term):
    description = models.CharField(
        _("说明"), max_length=300, blank=True, help_text=_("何种行动归入此类（编者说明）。")
    )

    class Meta(Term.Meta):
        verbose_name = _("行动类别")
        verbose_name_plural = _("行动类别")


class Place(Versioned):
    name = models.CharField(
        _("地名"), max_length=60, unique=True, help_text=_("照原文，例如 太阳山开发区。")
    )
    province = models.CharField(_("省（区）"), max_length=20, blank=True, help_text=_("编者所注。"))
    position = models.PositiveSmallIntegerField(
        _("次序"), default=0, help_text=_("在原文中首次出现的次序，列表按此排列。")
    )

    natural_key_fields = ("name",)

    class Meta:
        verbose_name = _("地点")
        verbose_name_plural = _("地点")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ActionQuerySet(SearchableQuerySet):
    def published(self):
        return self.filter(paragraph__section__article__status=PUBLISHED)

    def with_company(self):
        """What a row naming the company needs (the measure page prefetches this)."""
        return self.select_related("company", "kind")

    def with_context(self):
        return self.select_related(
            "company", "kind", "paragraph__section__article"
        ).prefetch_related(
            "places",
            "quantities",
            models.Prefetch("measures", queryset=Measure.objects.published().with_context()),
        )

    def totals_by_kind(self) -> list["Total"]:
        """Quantities added up only where like goes with like: the same kind, item and unit
        (200吨 of 次氯酸钠消毒液 is not added to 近30吨 of 消毒液原液, a concentrate);
        planned actions and bare mentions left out. Each total keeps its parts as printed."""
        actions = (
            self.filter(is_planned=False, quantity__isnull=False)
            .select_related("kind", "company")
            .order_by("kind__position", "kind__slug", "item", "unit", "company", "position")
        )
        totals: dict[tuple, Total] = {}
        for action in actions:
            key = (action.kind_id, action.item, action.unit)
            totals.setdefault(key, Total(action.kind, action.item, action.unit)).parts.append(
                action
            )
        return list(totals.values())


@dataclass
class Total:
    """The actions of one kind that give a quantity of the same item in the same unit."""

    kind: "ActionKind"
    item: str
    unit: str
    parts: list = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((a.quantity for a in self.parts), Decimal(0))

    @property
    def qualifier(self) -> str:
        """The source's own word for an inexact total: 近 when every inexact part says 近
        (each is a little under its number, so their sum is too), 约 when any says 约; an
        exact total has none (首批 and the like qualify a part, not the sum)."""
        said = {a.quantity_qualifier for a in self.parts} & APPROXIMATE_QUALIFIERS
        if not said:
            return ""
        return "近" if said == {"近"} else "约"

    @property
    def printed(self) -> str:
        total = f"{self.total.normalize():f}"
        return f"{self.qualifier}{total}{self.unit}"

    @property
    def count(self) -> int:
        return len(self.parts)


class Action(Searchable, Versioned):
    company = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        related_name="actions",
        verbose_name=_("企业"),
    )
    position = models.PositiveSmallIntegerField(
        _("次序"), help_text=_("在该企业事迹中的先后次序。")
    )
    kind = models.ForeignKey(
        ActionKind,
        on_delete=models.PROTECT,
        related_name="actions",
        verbose_name=_("类别"),
        help_text=_("编者分类。"),
    )
    paragraph = models.ForeignKey(
        Paragraph,
        on_delete=models.PROTECT,
        related_name="actions",
        verbose_name=_("段落"),
    )
    sentence = models.TextField(_("原句"), help_text=_("讲这件事的句子（至句号），照原文。"))
    item = models.CharField(
        _("物资或对象"),
        max_length=100,
        blank=True,
        help_text=_("照原文，例如 次氯酸钠消毒液。"),
    )
    quantity_qualifier = models.CharField(
        _("数量前的限定词"),
        max_length=10,
        blank=True,
        help_text=_("照原文，例如 近、约、首批；“近”“约”表示约数。"),
    )
    quantity_text = models.CharField(
        _("数量（照原文）"),
        max_length=20,
        blank=True,
        help_text=_("照原文的写法，例如 100、两百。"),
    )
    quantity = models.DecimalField(
        _("数量"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("数量的数值，用于合计；原文写汉字时由编者换算，例如 两百 → 200。"),
    )
    unit = models.CharField(
        _("单位"), max_length=10, blank=True, help_text=_("照原文，例如 万元、吨、名。")
    )
    recipients = models.CharField(
        _("受益对象"),
        max_length=300,
        blank=True,
        help_text=_("受赠或受益的单位、地方，照原文。"),
    )
    places = models.ManyToManyField(
        Place,
        blank=True,
        related_name="actions",
        verbose_name=_("点名地点"),
        help_text=_("受益对象中点名的市、县、开发区。"),
    )
    as_of_text = models.CharField(
        _("截至（照原文）"), max_length=40, blank=True, help_text=_("例如 截至2月2日。")
    )
    as_of = models.DateField(
        _("截至日期"),
        null=True,
        blank=True,
        help_text=_("原文只写月日，年份（2020）为编者据上下文补出。"),
    )
    is_planned = models.BooleanField(
        _("计划或承诺"), default=False, help_text=_("原文说“将”做而尚未做时勾选。")
    )
    measures = models.ManyToManyField(
        Measure,
        blank=True,
        related_name="industry_actions",
        verbose_name=_("相关政策措施"),
        help_text=_("与此行动相关的支持措施（编者关联）。"),
    )
    note = models.TextField(_("编者注"), blank=True)

    objects = NaturalKeyManager.from_queryset(ActionQuerySet)()

    natural_key_fields = ("company__slug", "position")
    search_related = ("company", "kind", "paragraph__section__article")
    search_names = ("company", "kind", "places")

    class Meta:
        verbose_name = _("企业行动")
        verbose_name_plural = _("企业行动")
        ordering = ["company", "position"]
        constraints = [
            models.UniqueConstraint(fields=["company", "position"], name="action_unique_position"),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True, quantity_text="")
                | (Q(quantity__isnull=False) & ~Q(quantity_text="")),
                name="action_quantity_as_printed",
            ),
            models.CheckConstraint(
                condition=Q(as_of__isnull=True, as_of_text="")
                | (Q(as_of__isnull=False) & ~Q(as_of_text="")),
                name="action_as_of_as_printed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company}：{self.kind}"

    def clean(self):
        if self.paragraph_id and self.sentence and self.sentence not in self.paragraph.text:
            raise ValidationError({"sentence": _("原句必须出自所选段落。")})

    def search_document(self) -> tuple[str, str]:
        return (
            f"{self.company.name} {self.kind.name} {self.item}",
            "\n".join(
                [
                    self.sentence,
                    self.recipients,
                    self.company.name_en,
                    self.kind.name_en,
                    *self.names_of("places", "name"),
                ]
            ),
        )

    def is_public(self) -> bool:
        return self.paragraph.section.article.is_published

    @property
    def is_approximate(self) -> bool:
        return self.quantity_qualifier in APPROXIMATE_QUALIFIERS

    @property
    def printed_quantity(self) -> str:
        """The quantity as printed, e.g. 近30吨; empty when the sentence gives none."""
        if not self.quantity_text:
            return ""
        return f"{self.quantity_qualifier}{self.quantity_text}{self.unit}"

    @property
    def anchor(self) -> str:
        return f"action-{self.position}"

    def get_absolute_url(self) -> str:
        return f"{self.company.get_absolute_url()}#{self.anchor}"


class ActionQuantity(NaturalKeyModel):
    """A quantity an action's sentence gives besides its main one (金昱元's 29 recipient
    units, its two production areas, 大地's 24-hour shifts): recorded as printed, with its
    value, so that it can be listed, exported and checked rather than only read."""

    action = models.ForeignKey(
        Action, on_delete=models.CASCADE, related_name="quantities", verbose_name=_("行动")
    )
    position = models.PositiveSmallIntegerField(_("次序"), default=1)
    phrase = models.CharField(
        _("原文"),
        max_length=100,
        help_text=_("原句中说出这个数量的一段，照原文，例如 29个行政单位、乡镇、企业、医药企业。"),
    )
    counted = models.CharField(
        _("所计对象"),
        max_length=100,
        help_text=_(
            "数的是什么，照原文，例如 行政单位、乡镇、企业、医药企业；生产片区；轮流值班。"
        ),
    )
    quantity_text = models.CharField(
        _("数量（照原文）"), max_length=20, help_text=_("照原文的写法，例如 29、两、24。")
    )
    quantity = models.DecimalField(
        _("数量"),
        max_digits=12,
        decimal_places=2,
        help_text=_("数量的数值；原文写汉字时由编者换算，例如 两 → 2。"),
    )
    unit = models.CharField(_("单位"), max_length=10, help_text=_("照原文，例如 个、小时。"))
    names = models.CharField(
        _("点名"),
        max_length=200,
        blank=True,
        help_text=_("原文逐一点名的对象，以顿号分隔，照原文，例如 青铜峡、固原。"),
    )

    natural_key_fields = ("action__company__slug", "action__position", "position")

    class Meta:
        verbose_name = _("行动中的其他数量")
        verbose_name_plural = _("行动中的其他数量")
        ordering = ["action", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "position"], name="action_quantity_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return self.phrase

    @property
    def printed(self) -> str:
        """The number with its unit as printed: 29个, 两个, 24小时."""
        return f"{self.quantity_text}{self.unit}"

    @property
    def named(self) -> list[str]:
        return [name.strip() for name in self.names.split("、") if name.strip()]

    def clean(self):
        errors = {}
        if self.action_id and self.phrase and self.phrase not in self.action.sentence:
            errors["phrase"] = _("原文必须出自该行动的原句。")
        if self.phrase and self.quantity_text and self.printed not in self.phrase:
            errors["quantity_text"] = _("数量和单位必须照原文连写在“原文”中，例如 29个。")
        if self.phrase and self.counted and self.counted not in self.phrase:
            errors["counted"] = _("所计对象必须照原文，出自“原文”。")
        if self.names and self.quantity is not None and len(self.named) != self.quantity:
            errors["names"] = _("点名的个数与数量不符。")
        if errors:
            raise ValidationError(errors)


@receiver(pre_save, sender=Article)
def remember_stored_status(sender, instance, **kwargs):
    instance._stored_status = (
        sender._base_manager.filter(pk=instance.pk).values_list("status", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=Article)
def reindex_on_publication(sender, instance, created, **kwargs):
    """Publishing puts an article's paragraphs, figures, companies and actions into the
    search index, withdrawing takes them out (see Searchable.is_public)."""
    if created or getattr(instance, "_stored_status", None) == instance.status:
        return
    for model, lookup in [
        (Paragraph, "section__article"),
        (Figure, "section__article"),
        (Company, "story__article"),
        (Action, "paragraph__section__article"),
    ]:
        records = list(model.objects.for_search().filter(**{lookup: instance}))
        for record in records:
            record.refresh_search()
        model.objects.bulk_update(records, ["search_title", "search_body"])
