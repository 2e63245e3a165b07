from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.models import NaturalKeyManager, Searchable, SearchableQuerySet, Term, Versioned

CHINESE_NUMERALS = "零一二三四五六七八九十"


def chinese_numeral(n: int) -> str:
    """1..99 as Chinese numerals (一, 十, 十一, 二十一), as the notice numbers its headings."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CHINESE_NUMERALS[ones]
    prefix = "" if tens == 1 else CHINESE_NUMERALS[tens]
    return prefix + "十" + (CHINESE_NUMERALS[ones] if ones else "")


class Notice(Versioned):
    slug = models.SlugField(
        "网址标识",
        max_length=80,
        unique=True,
        help_text="用于网址的英文短名，例如 gxmd-2020-14；创建后请勿修改，以免已分享的链接失效。",
    )
    doc_number = models.CharField(
        "发文字号",
        max_length=100,
        unique=True,
        help_text="照原文，例如 工信明电〔2020〕14号。",
    )
    title = models.CharField("标题", max_length=300)
    title_en = models.CharField(
        "英文标题", max_length=300, blank=True, help_text="编者译，英文页面显示并标明为编者译文。"
    )
    issuing_body = models.CharField("发文机关", max_length=200)
    issued_on = models.DateField("成文日期")
    addressees = models.TextField("主送机关", help_text="通知开头的主送对象，照原文。")
    preamble = models.TextField("导语", help_text="主送机关之后、第一个标题之前的段落，照原文。")
    closing = models.TextField("结束语", blank=True, help_text="最后一条措施之后的段落，照原文。")
    signature = models.CharField("落款", max_length=200, help_text="落款机关，照原文。")
    signature_date = models.CharField(
        "落款日期",
        max_length=50,
        help_text="落款处的日期，照原文书写，例如 2020年2月9日。",
    )
    is_abridged = models.BooleanField(
        "原文有删减", default=False, help_text="来源刊物刊登的是删减版时勾选。"
    )
    abridged_note = models.CharField(
        "删减说明",
        max_length=100,
        blank=True,
        help_text="来源刊物中的原话，例如（本文有删减）。",
    )
    published_in = models.CharField(
        "刊载于",
        max_length=200,
        help_text="本库所据的刊物及栏目（编者说明），例如 行业简报“政策信息”栏目。",
    )
    official_url = models.URLField("官方全文网址", blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-issued_on", "doc_number"]
        # The home page and the notice list read the newest notices: from this index, not
        # by sorting them all.
        indexes = [models.Index(fields=["-issued_on", "doc_number"], name="notice_newest_first")]

    def __str__(self) -> str:
        return self.doc_number

    def get_absolute_url(self) -> str:
        return reverse("policies:notice-detail", args=[self.slug])


class Heading(Versioned):
    notice = models.ForeignKey(
        Notice, on_delete=models.PROTECT, related_name="headings", verbose_name="通知"
    )
    ordinal = models.PositiveSmallIntegerField(
        "序号", help_text="标题在通知中的次序，1 显示为“一、”。"
    )
    title = models.CharField("标题", max_length=200, help_text="不含序号，照原文。")
    title_en = models.CharField(
        "英文标题", max_length=200, blank=True, help_text="编者译，英文页面显示并标明为编者译文。"
    )

    natural_key_fields = ("notice__slug", "ordinal")

    class Meta:
        verbose_name = "标题"
        verbose_name_plural = "标题"
        ordering = ["notice", "ordinal"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "ordinal"], name="heading_unique_ordinal_per_notice"
            ),
            models.CheckConstraint(condition=Q(ordinal__gte=1), name="heading_ordinal_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.label}{self.title}"

    @property
    def label(self) -> str:
        """The heading's number as printed: 一、 二、 …"""
        return f"{chinese_numeral(self.ordinal)}、"

    @property
    def anchor(self) -> str:
        return f"heading-{self.ordinal}"

    def get_absolute_url(self) -> str:
        return f"{self.notice.get_absolute_url()}#{self.anchor}"


class Classification(Term):
    """Editorial tags that analysts filter by; the source does not tag its measures."""

    description = models.CharField(
        "说明", max_length=300, blank=True, help_text="何种措施归入此类（编者说明）。"
    )

    class Meta(Term.Meta):
        abstract = True


class Topic(Classification):
    class Meta(Classification.Meta):
        verbose_name = "政策工具/主题"
        verbose_name_plural = "政策工具/主题"

    def get_absolute_url(self) -> str:
        return reverse("policies:measure-list") + f"?topic={self.slug}"


class TargetGroup(Classification):
    class Meta(Classification.Meta):
        verbose_name = "支持对象"
        verbose_name_plural = "支持对象"

    def get_absolute_url(self) -> str:
        return reverse("policies:measure-list") + f"?target_group={self.slug}"


class Region(Classification):
    class Meta(Classification.Meta):
        verbose_name = "地区"
        verbose_name_plural = "地区"

    def get_absolute_url(self) -> str:
        return reverse("policies:measure-list") + f"?region={self.slug}"


class MeasureQuerySet(SearchableQuerySet):
    def in_reading_order(self):
        # Notices in the order they were added, measures by number: the (notice, number)
        # unique index serves this order, so a page costs the same at any size.
        return self.order_by("notice_id", "number")

    def with_context(self):
        """What every list row shows: the heading and notice without extra queries."""
        return self.for_search()


class Measure(Searchable, Versioned):
    # Derived from the heading (see clean/save); stored so the database can keep
    # measure numbers unique within a notice.
    notice = models.ForeignKey(
        Notice,
        on_delete=models.PROTECT,
        related_name="measures",
        verbose_name="通知",
        editable=False,
    )
    heading = models.ForeignKey(
        Heading,
        on_delete=models.PROTECT,
        related_name="measures",
        verbose_name="所属标题",
    )
    number = models.PositiveSmallIntegerField("条号", help_text="原文中的阿拉伯数字序号。")
    title = models.CharField(
        "标题",
        max_length=200,
        help_text="原文每条开头的小标题（不含句号）。原文没有小标题时，由编者拟定，并勾选“编者拟定标题”。",
    )
    title_en = models.CharField(
        "英文标题", max_length=200, blank=True, help_text="编者译，英文页面显示并标明为编者译文。"
    )
    title_is_editorial = models.BooleanField(
        "编者拟定标题",
        default=False,
        help_text="勾选表示原文此条没有小标题，标题是编者所拟，页面上会标明。",
    )
    text = models.TextField(
        "正文", help_text="小标题之后的全文，照原文逐字录入；原文无小标题时为整条全文。"
    )
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="measures", verbose_name="政策工具/主题"
    )
    target_groups = models.ManyToManyField(
        TargetGroup, blank=True, related_name="measures", verbose_name="支持对象"
    )
    regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="measures",
        verbose_name="地区",
        help_text="正文点名的省、市。",
    )

    objects = NaturalKeyManager.from_queryset(MeasureQuerySet)()

    natural_key_fields = ("notice__slug", "number")
    search_related = ("heading__notice", "notice")
    search_names = ("heading", "topics", "target_groups", "regions")

    class Meta:
        verbose_name = "措施"
        verbose_name_plural = "措施"
        ordering = ["notice", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "number"], name="measure_unique_number_per_notice"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="measure_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number}.{self.title}"

    def clean(self):
        self._derive_notice()

    def validate_constraints(self, exclude=None):
        # Forms never include the derived notice, but the number must still be unique in it.
        super().validate_constraints(exclude=set(exclude or ()) - {"notice"})

    def save(self, *args, **kwargs):
        self._derive_notice()
        super().save(*args, **kwargs)

    def _derive_notice(self):
        if self.heading_id:
            self.notice_id = self.heading.notice_id

    def search_document(self) -> tuple[str, str]:
        """Title; text, then the names of its heading and classifications."""
        names = [
            self.heading.title,
            self.heading.title_en,
            *self.names_of("topics"),
            *self.names_of("target_groups"),
            *self.names_of("regions"),
        ]
        return f"{self.title} {self.title_en}", "\n".join([self.text, *names])

    @property
    def anchor(self) -> str:
        return f"measure-{self.number}"

    def neighbour(self, *, before: bool) -> "Measure | None":
        """The previous (before=True) or next measure of the same notice."""
        siblings = Measure.objects.filter(notice_id=self.notice_id)
        if before:
            found = siblings.filter(number__lt=self.number).order_by("-number").first()
        else:
            found = siblings.filter(number__gt=self.number).order_by("number").first()
        if found:
            found.notice = self.notice  # same notice; spares a query for its URL
        return found

    @property
    def citation(self) -> str:
        return f"{self.notice.doc_number} 第{self.number}条"

    @property
    def full_citation(self) -> str:
        notice = self.notice
        return (
            f"{notice.issuing_body}《{notice.title}》（{notice.doc_number}）第{self.number}条，"
            f"{notice.issued_on.year}年{notice.issued_on.month}月{notice.issued_on.day}日。"
        )

    @property
    def source_text(self) -> str:
        """The measure as printed in the source: number, title (when the source has one), text."""
        if self.title_is_editorial:
            return f"{self.number}.{self.text}"
        return f"{self.number}.{self.title}。{self.text}"

    def get_absolute_url(self) -> str:
        return reverse("policies:measure-detail", args=[self.notice.slug, self.number])

    def get_notice_url(self) -> str:
        return f"{self.notice.get_absolute_url()}#{self.anchor}"
