import functools
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connections, models, router
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import JSONObject
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.analysis import missing_words
from core.caching import cached
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
from core.statements import Statement

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


class Level(models.TextChoices):
    """The tier of government a document comes from, as policy libraries file it."""

    NATIONAL = "national", _("国家")
    PROVINCIAL = "provincial", _("省")
    MUNICIPAL = "municipal", _("市")
    COUNTY = "county", _("县")


class Issuer(Term):
    """An issuing body (发文机关): the vocabulary that notices are filtered by. A joint
    notice has several."""

    name_en = models.CharField(
        "英文名称",
        max_length=100,
        blank=True,
        help_text="编者所译；未译时英文页面显示中文名称。",
    )
    full_name = models.CharField(
        "全称",
        max_length=100,
        blank=True,
        help_text="著录参考文献用的正式全称，例如 中华人民共和国工业和信息化部（编者据官方名称录入）；"
        "留空时引用中文名称。",
    )
    aliases = models.CharField(
        "其他写法",
        max_length=200,
        blank=True,
        help_text="原文对该机关的其他写法（简称、旧称），以顿号分隔，例如 工信部。导入时据此识别。",
    )
    level = models.CharField(
        "层级",
        max_length=20,
        choices=Level.choices,
        blank=True,
        help_text="该机关所在的行政层级；导入通知时据此提出通知的层级。",
    )

    class Meta(Term.Meta):
        verbose_name = "发文机关"
        verbose_name_plural = "发文机关"
        constraints = [
            models.CheckConstraint(
                condition=Q(level="") | Q(level__in=Level.values), name="issuer_level_known"
            ),
        ]

    def names(self) -> list[str]:
        """Every way the source may write this body: its name, then its aliases."""
        return [self.name, *(a.strip() for a in self.aliases.split("、") if a.strip())]

    def cited_name(self, *, english: bool = False) -> str:
        """How a reference names this body: its English name on English pages (editorial),
        else its full name, else its name."""
        if english and self.name_en:
            return self.name_en
        return self.full_name or self.name

    def get_absolute_url(self) -> str:
        return reverse("policies:notice-list") + f"?issuer={self.slug}"


class DocType(models.TextChoices):
    # The 公文 kinds of the Party and state rules, and the names of normative documents
    # that support policies commonly carry.
    NOTICE = "notice", _("通知")
    OPINIONS = "opinions", _("意见")
    MEASURES = "measures", _("办法")
    POLICY_MEASURES = "policy-measures", _("措施")
    PROVISIONS = "provisions", _("规定")
    DETAILED_RULES = "detailed-rules", _("细则")
    REGULATIONS = "regulations", _("条例")
    PLAN = "plan", _("方案")
    DECISION = "decision", _("决定")
    ANNOUNCEMENT = "announcement", _("公告")
    CIRCULAR = "circular", _("通告")
    REPLY = "reply", _("批复")
    LETTER = "letter", _("函")
    OTHER = "other", _("其他")


class Validity(models.TextChoices):
    UNKNOWN = "unknown", _("未知")
    IN_FORCE = "in-force", _("现行有效")
    AMENDED = "amended", _("已修改")
    REPEALED = "repealed", _("已废止")
    EXPIRED = "expired", _("已失效")


class Notice(Publishable, Versioned):
    DocType = DocType
    Validity = Validity
    # The validities that a later date (and often a later document) brought about.
    CHANGED = (Validity.AMENDED, Validity.REPEALED, Validity.EXPIRED)
    # The validities of a document no longer in force.
    ENDED = (Validity.REPEALED, Validity.EXPIRED)

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
    issuing_body = models.CharField(
        "发文机关", max_length=200, help_text="照原文，联合发文以空格分隔，例如 财政部 税务总局。"
    )
    issuers = models.ManyToManyField(
        Issuer,
        related_name="notices",
        verbose_name="发文机关（词表）",
        help_text="原文所列的每个发文机关，用于按机关筛选。",
    )
    level = models.CharField(
        "层级", max_length=20, choices=Level.choices, help_text="发文机关的行政层级。"
    )
    level_is_editorial = models.BooleanField(
        "层级为编者判断",
        default=False,
        help_text="原文（发文机关、文号）看不出层级、由编者判断时勾选，页面上会标明。",
    )
    doc_type = models.CharField(
        "文种",
        max_length=20,
        choices=DocType.choices,
        help_text="标题末尾的文种，例如 通知、意见、办法。",
    )
    doc_type_is_editorial = models.BooleanField(
        "文种为编者判断",
        default=False,
        help_text="标题没有写明文种、由编者判断时勾选，页面上会标明。",
    )
    issued_on = models.DateField("成文日期")
    published_on = models.DateField(
        "发布日期",
        null=True,
        blank=True,
        help_text="发文机关公开发布之日（例如政府网站所注）。原文不载，由编者据官方发布录入；不知则留空。",
    )
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
    validity = models.CharField(
        "效力",
        max_length=20,
        choices=Validity.choices,
        default=Validity.UNKNOWN,
        help_text="文件本身不载自己的效力：由编者据官方政策库核实后填写，页面上标为编者核实。"
        "未核实时保持“未知”，页面照此显示。",
    )
    validity_changed_on = models.DateField(
        "效力变更日期", null=True, blank=True, help_text="修改、废止或失效之日（已知时）。"
    )
    validity_changed_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="validity_changes",
        verbose_name="变更效力的文件",
        help_text="修改或废止本文件的通知（已收入本库时）。",
    )
    validity_note = models.CharField(
        "效力说明",
        max_length=300,
        blank=True,
        help_text="核实的依据；变更效力的文件未收入本库时，写它的文号和标题。",
    )

    objects = NaturalKeyManager.from_queryset(PublishableQuerySet)()

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-issued_on", "doc_number"]
        # The home page and the notice list read the newest notices: from this index, not
        # by sorting them all.
        indexes = [models.Index(fields=["-issued_on", "doc_number"], name="notice_newest_first")]
        constraints = [
            *Publishable.Meta.constraints,
            models.CheckConstraint(condition=Q(level__in=Level.values), name="notice_level_known"),
            models.CheckConstraint(
                condition=Q(doc_type__in=DocType.values), name="notice_doc_type_known"
            ),
            models.CheckConstraint(
                condition=Q(validity__in=Validity.values), name="notice_validity_known"
            ),
            # Only a document that was amended, repealed or expired has a date and a
            # document that changed it.
            models.CheckConstraint(
                condition=Q(validity__in=[Validity.AMENDED, Validity.REPEALED, Validity.EXPIRED])
                | Q(validity_changed_on__isnull=True, validity_changed_by__isnull=True),
                name="notice_validity_change_only_when_changed",
            ),
            models.CheckConstraint(
                condition=Q(published_on__isnull=True) | Q(published_on__gte=F("issued_on")),
                name="notice_published_after_issued",
            ),
        ]

    def __str__(self) -> str:
        return self.doc_number

    def clean(self):
        if self.validity_changed_by_id and self.validity_changed_by_id == self.pk:
            raise ValidationError({"validity_changed_by": "一个文件不能变更它自己的效力。"})

    @property
    def validity_is_known(self) -> bool:
        return self.validity != self.Validity.UNKNOWN

    def cited_issuers(self, *, english: bool = False) -> list[str]:
        """The issuing bodies in the order the document prints them (发文机关, joint notices
        separated by spaces), each named as a reference names it; a body not in the
        vocabulary as printed."""
        issuers = list(self.issuers.all())
        cited = []
        for printed in self.issuing_body.split():
            issuer = next((i for i in issuers if printed in i.names()), None)
            cited.append(issuer.cited_name(english=english) if issuer else printed)
        return cited

    def cited_date(self):
        """The document's own date for a reference: published, else issued."""
        return self.published_on or self.issued_on

    def online_citation(self, part: str = "", *, url: str, accessed, english: bool = False) -> str:
        """This notice's page (or a part of it) as a GB/T 7714-2015 reference
        (core.citation): its issuers, its title (on English pages with the editors'
        translation), its document number and the part, its date, the page's URL and the
        day cited."""
        number = f"{self.doc_number}{', ' if english else ' '}{part}" if part else self.doc_number
        return gb_t_7714(
            OnlineSource(
                creators=self.cited_issuers(english=english),
                title=translated(self.title, self.title_en) if english else self.title,
                other_title=number,
                published=self.cited_date(),
                url=url,
                accessed=accessed,
                english=english,
            )
        )

    def get_absolute_url(self) -> str:
        return reverse("policies:notice-detail", args=[self.slug])


class HeadingQuerySet(models.QuerySet):
    def published(self):
        return self.filter(notice__status=Publishable.Status.PUBLISHED)


class Heading(Versioned):
    notice = models.ForeignKey(
        Notice, on_delete=models.PROTECT, related_name="headings", verbose_name="通知"
    )
    ordinal = models.PositiveSmallIntegerField(
        "序号", help_text="部分在通知中的次序，1 显示为“一、”。"
    )
    title = models.CharField("标题", max_length=200, help_text="不含序号，照原文。")
    title_en = models.CharField(
        "英文标题", max_length=200, blank=True, help_text="编者译，英文页面显示并标明为编者译文。"
    )

    objects = NaturalKeyManager.from_queryset(HeadingQuerySet)()

    natural_key_fields = ("notice__slug", "ordinal")

    class Meta:
        # 部分, not 标题: 标题 is a measure's (or a notice's) title.
        verbose_name = "部分"
        verbose_name_plural = "部分"
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


class SizeClass(models.TextChoices):
    """An enterprise's size as the national standard (中小企业划型标准规定) classes it, and
    the self-employed, whom it does not class as enterprises: what 政策匹配 asks first."""

    MEDIUM = "medium", _("中型企业")
    SMALL = "small", _("小型企业")
    MICRO = "micro", _("微型企业")
    INDIVIDUAL = "individual", _("个体工商户")


class TargetGroup(Classification):
    # Which size classes a group takes in, so that 政策匹配 can tell from an enterprise's
    # size which groups it belongs to; a group none of them tick is a situation.
    covers_medium = models.BooleanField(
        "含中型企业", default=False, help_text="按规模划定的支持对象（如 中小企业）才勾选。"
    )
    covers_small = models.BooleanField("含小型企业", default=False)
    covers_micro = models.BooleanField("含微型企业", default=False)
    covers_individual = models.BooleanField("含个体工商户", default=False)

    objects = NaturalKeyManager()

    class Meta(Classification.Meta):
        verbose_name = "支持对象"
        verbose_name_plural = "支持对象"

    @property
    def sizes(self) -> list[str]:
        return [size for size in SizeClass.values if getattr(self, f"covers_{size}")]

    @property
    def is_all_smes(self) -> bool:
        """Whether the group is every SME, whatever its size: a measure for it is for all."""
        return {SizeClass.MEDIUM, SizeClass.SMALL, SizeClass.MICRO} <= set(self.sizes)

    def get_absolute_url(self) -> str:
        return reverse("policies:measure-list") + f"?target_group={self.slug}"


class Region(Classification):
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="所属省份",
        help_text="市填所属的省；省、自治区、直辖市留空。政策匹配据此把市归入省。",
    )

    class Meta(Classification.Meta):
        verbose_name = "地区"
        verbose_name_plural = "地区"

    def get_absolute_url(self) -> str:
        return reverse("policies:measure-list") + f"?region={self.slug}"


# The columns a measure's page shows (MeasureQuerySet.for_page); never the search tokens.
PAGE_COLUMNS = [
    *("number", "title", "title_en", "title_is_editorial", "text"),
    *("heading__ordinal", "heading__title", "heading__title_en"),
    *("notice__status", "notice__slug", "notice__doc_number", "notice__title"),
    *("notice__title_en", "notice__issuing_body", "notice__issued_on", "notice__published_on"),
    *("notice__validity", "notice__validity_changed_on", "notice__validity_note"),
    *("notice__validity_changed_by__slug", "notice__validity_changed_by__doc_number"),
]
# What a previous / next link shows of a measure.
NEIGHBOUR_COLUMNS = ("number", "title", "title_en", "title_is_editorial")


@functools.cache  # built once: a filter copies the expression it is given
def neighbour_row(*, before: bool) -> Subquery:
    """The previous (before=True) or next measure of the notice of the measure OuterRef,
    as a JSON object of NEIGHBOUR_COLUMNS (read through the unique (notice, number) index)."""
    siblings = Measure.objects.filter(notice=OuterRef("notice"))
    if before:
        siblings = siblings.filter(number__lt=OuterRef("number")).order_by("-number")
    else:
        siblings = siblings.filter(number__gt=OuterRef("number")).order_by("number")
    row = JSONObject(**{column: column for column in NEIGHBOUR_COLUMNS})
    return Subquery(siblings.values(row=row)[:1])


def page_query() -> models.QuerySet:
    """Measure.objects.for_page(), built once per process: building it (four subqueries)
    takes longer than running it. Built again when the content types' ids change (a test
    database flushed), with newest_public_change's expression, which depends on them."""
    return _page_query(newest_public_change(Measure))


@functools.cache
def _page_query(newest_change: Subquery) -> models.QuerySet:
    return Measure.objects.for_page()  # never evaluated itself: every use filters a copy


def page_statement() -> Statement:
    """page_query() for one notice's slug and measure number, its SQL made once per
    process (core.statements): `page_statement().get(notice__slug=…, number=…)`."""
    return _page_statement(page_query())


@functools.cache
def _page_statement(query: models.QuerySet) -> Statement:
    return Statement(query, {"notice__slug": "statement-sample-slug", "number": 32_766})


@functools.cache  # built once, as neighbour_row
def has_industry_actions() -> Exists:
    """Whether a company action is linked to the measure OuterRef (the industry app links
    its actions to measures)."""
    links = Measure._meta.get_field("industry_actions").through.objects
    return Exists(links.filter(measure=OuterRef("pk")))


def issuers_for_citation() -> models.Prefetch:
    """A notice's issuers with what a reference names them by (Notice.cited_issuers)."""
    return models.Prefetch(
        "issuers", queryset=Issuer.objects.only("name", "name_en", "full_name", "aliases")
    )


class MeasureQuerySet(SearchableQuerySet):
    def published(self):
        """The measures of published notices: what every public page, count and export reads."""
        return self.filter(notice__status=Publishable.Status.PUBLISHED)

    def in_reading_order(self):
        # Notices in the order they were added, measures by number: the (notice, number)
        # unique index serves this order, so a page costs the same at any size.
        return self.order_by("notice_id", "number")

    def with_context(self):
        """What every list row shows: the heading and notice without extra queries."""
        return self.for_search()

    def for_page(self):
        """What a measure's page shows, in one query: the columns it shows of the measure,
        its heading and notice (and the notice that changed the notice's validity), its
        previous and next measures in the notice (`neighbour`), its newest public change
        (`last_public_change`) and whether any company action is linked to it. The notice's
        issuers, the classifications and the related actions are a query each
        (issuers_for_citation, Measure.classifications, policies.views.related_actions)."""
        return (
            self.select_related("heading", "notice__validity_changed_by")
            .only(*PAGE_COLUMNS)
            .annotate(
                previous_row=neighbour_row(before=True),
                next_row=neighbour_row(before=False),
                last_public_change=newest_public_change(Measure),
                has_industry_actions=has_industry_actions(),
            )
        )

    def in_force(self):
        """Leaves out the measures of notices repealed or expired (已废止, 已失效)."""
        return self.exclude(notice__validity__in=Notice.ENDED)


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
        verbose_name="所属部分",
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
        Topic,
        blank=True,
        through="MeasureTopic",
        related_name="measures",
        verbose_name="政策工具/主题",
    )
    target_groups = models.ManyToManyField(
        TargetGroup,
        blank=True,
        through="MeasureTargetGroup",
        related_name="measures",
        verbose_name="支持对象",
    )
    regions = models.ManyToManyField(
        Region,
        blank=True,
        through="MeasureRegion",
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

    def is_public(self) -> bool:
        return self.notice.is_published

    def found_only_by_editorial_title(self, search) -> bool:
        """Whether the search found this measure through words that are only in its
        editorial title (or that title's translation), not in anything the source says."""
        if not self.title_is_editorial or not search:
            return False
        # The text and heading come first in the document, and hold the words found in most
        # rows, so the classifications' names (three queries) are read only when they do not.
        if not missing_words(f"{self.text}\n{self.heading.title}\n{self.heading.title_en}", search):
            return False
        return bool(missing_words(self.search_document()[1], search))

    @property
    def anchor(self) -> str:
        return f"measure-{self.number}"

    def neighbour(self, *, before: bool) -> "Measure | None":
        """The previous (before=True) or next measure of the same notice, as read with this
        one (MeasureQuerySet.for_page): enough for a link to it."""
        row = self.previous_row if before else self.next_row
        if not row:
            return None
        found = Measure(notice=self.notice, **{column: row[column] for column in NEIGHBOUR_COLUMNS})
        found.title_is_editorial = bool(found.title_is_editorial)  # SQLite's JSON says 0 / 1
        return found

    def classifications(self) -> dict[str, list["Classified"]]:
        """The measure's classifications with their evidence, by kind ("topic", "target_group",
        "region"), each in the order of its classifications: one query (classifications_of)."""
        return classifications_of([self])[self.pk]

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

    def online_citation(self, *, url: str, accessed, english: bool = False) -> str:
        """This measure's page as a GB/T 7714-2015 reference (core.citation): the notice's
        issuers, its title (on English pages with the editors' translation), its document
        number and the measure's number, its date, the page's URL and the day cited."""
        part = f"item {self.number}" if english else f"第{self.number}条"
        return self.notice.online_citation(part, url=url, accessed=accessed, english=english)

    @property
    def source_text(self) -> str:
        """The measure as printed in the source: number, title (when the source has one), text."""
        if self.title_is_editorial:
            return f"{self.number}.{self.text}"
        return f"{self.number}.{self.title}。{self.text}"

    def quotes(self, phrase: str) -> bool:
        """Whether the phrase is the source's own words in this measure: in its text, or in
        its title when the source has one (an editorial title is not the source's)."""
        return bool(phrase) and (
            phrase in self.text or (not self.title_is_editorial and phrase in self.title)
        )

    def assignments(self) -> list["Assignment"]:
        """Every classification of the measure with its evidence: topics, target groups,
        regions (prefetch `*_assignments__<term>` to spare the queries)."""
        return [
            *self.topic_assignments.all(),
            *self.target_group_assignments.all(),
            *self.region_assignments.all(),
        ]

    def get_absolute_url(self) -> str:
        return reverse("policies:measure-detail", args=[self.notice.slug, self.number])

    def get_notice_url(self) -> str:
        return f"{self.notice.get_absolute_url()}#{self.anchor}"


class Assignment(NaturalKeyModel):
    """A measure filed under a classification, with the evidence for it: the words of the
    measure that justify the editors' judgement, quoted verbatim."""

    evidence = models.CharField(
        "依据",
        max_length=200,
        help_text="条文中据以归类的原话，逐字摘录（正文或原文小标题中连续的一段），"
        "例如 加大信贷支持力度。",
    )

    # The classification's field, set by each subclass.
    term_field = ""
    kind = ""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.term} — “{self.evidence}”"

    @property
    def term(self) -> Classification:
        return getattr(self, self.term_field)

    def clean(self):
        if self.measure_id and self.evidence and not self.measure.quotes(self.evidence):
            raise ValidationError(
                {
                    "evidence": "依据须是这条措施原文中连续的一段（正文或原文小标题，逐字），"
                    "编者拟定的标题不算。"
                }
            )


def assignment_meta(term_field: str, verbose_name: str, db_table: str) -> type:
    # The table Django made for the plain many-to-many field: the assignments stay in it.
    class Meta:
        ordering = ["measure", f"{term_field}__position", f"{term_field}__slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", term_field], name=f"measure_{term_field}_once"
            )
        ]

    Meta.verbose_name = Meta.verbose_name_plural = verbose_name
    Meta.db_table = db_table
    return Meta


class MeasureTopic(Assignment):
    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="topic_assignments", verbose_name="措施"
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, verbose_name="政策工具/主题")
    term_field, kind = "topic", "topic"
    natural_key_fields = ("measure__notice__slug", "measure__number", "topic__slug")
    Meta = assignment_meta("topic", "措施的主题", "policies_measure_topics")


class MeasureTargetGroup(Assignment):
    measure = models.ForeignKey(
        Measure,
        on_delete=models.CASCADE,
        related_name="target_group_assignments",
        verbose_name="措施",
    )
    target_group = models.ForeignKey(
        TargetGroup,
        on_delete=models.CASCADE,
        db_column="targetgroup_id",  # as Django named it for the plain many-to-many field
        verbose_name="支持对象",
    )
    term_field, kind = "target_group", "target_group"
    natural_key_fields = ("measure__notice__slug", "measure__number", "target_group__slug")
    Meta = assignment_meta("target_group", "措施的支持对象", "policies_measure_target_groups")


class MeasureRegion(Assignment):
    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="region_assignments", verbose_name="措施"
    )
    region = models.ForeignKey(Region, on_delete=models.CASCADE, verbose_name="地区")
    term_field, kind = "region", "region"
    natural_key_fields = ("measure__notice__slug", "measure__number", "region__slug")
    Meta = assignment_meta("region", "措施的点名地区", "policies_measure_regions")


# A measure's classifications, each with its evidence.
ASSIGNMENTS = (MeasureTopic, MeasureTargetGroup, MeasureRegion)
ASSIGNMENT_OF_KIND = {through.kind: through for through in ASSIGNMENTS}


@dataclass(frozen=True)
class Vocabulary:
    """The classifications, each kind by id in its order (position, slug), with what pages
    show of them (a term's description is not read): small
    vocabularies that the 政策匹配 form, its profiles and every list of a measure's
    classifications read without a query (vocabulary()). One copy is shared by the requests
    of a process: read it, never change it."""

    target_groups: dict[int, "TargetGroup"]
    regions: dict[int, "Region"]  # a city's parent is its province, from here
    topics: dict[int, "Topic"]

    @classmethod
    def load(cls) -> "Vocabulary":
        shown = ("slug", "name", "name_en", "position")
        sizes = [f"covers_{size}" for size in SizeClass.values]
        regions = {r.pk: r for r in Region.objects.only(*shown, "parent_id")}
        for region in regions.values():
            if region.parent_id is not None:
                region.parent = regions[region.parent_id]
        return cls(
            target_groups={g.pk: g for g in TargetGroup.objects.only(*shown, *sizes)},
            regions=regions,
            topics={t.pk: t for t in Topic.objects.only(*shown)},
        )

    def by_kind(self) -> dict[str, dict[int, Classification]]:
        """The terms of each kind of assignment (Assignment.kind)."""
        return {"topic": self.topics, "target_group": self.target_groups, "region": self.regions}

    def provinces(self) -> list["Region"]:
        return [r for r in self.regions.values() if r.parent_id is None]

    def cities(self) -> list["Region"]:
        return [r for r in self.regions.values() if r.parent_id is not None]

    def for_size(self, size: str) -> list["TargetGroup"]:
        """The groups an enterprise of this size class belongs to by its size alone."""
        return [g for g in self.target_groups.values() if getattr(g, f"covers_{size}")]

    def situations(self) -> list["TargetGroup"]:
        """The groups defined by something other than size (受疫情影响较大, 专精特新, …)."""
        return [
            g
            for g in self.target_groups.values()
            if not any(getattr(g, f"covers_{size}") for size in SizeClass.values)
        ]


def vocabulary() -> Vocabulary:
    """The classifications as they are now: read once per edit of the policies, and kept in
    each process (core.caching.cached)."""
    return cached(["vocabulary"], Vocabulary.load, kinds=["policies"], in_process=True)


@dataclass(frozen=True)
class Classified:
    """A measure filed under a classification, as pages show it: the term and the evidence
    (the words of the measure that justify it)."""

    term: Classification
    evidence: str


def assignment_rows(ids: list[int]) -> list[tuple[int, str, int, str]]:
    """(measure id, kind, term id, evidence) of the measures' classifications, in one query:
    a UNION ALL of the three tables, written out here because the ORM's union of three
    querysets takes longer to build (about a millisecond) than to run, on every measure page."""
    if not ids:
        return []
    connection = connections[router.db_for_read(MeasureTopic)]
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(ids))
    sql = " UNION ALL ".join(
        f"SELECT {quote('measure_id')}, '{through.kind}', "
        f"{quote(through._meta.get_field(through.term_field).column)}, {quote('evidence')} "
        f"FROM {quote(through._meta.db_table)} WHERE {quote('measure_id')} IN ({marks})"
        for through in ASSIGNMENTS
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids * len(ASSIGNMENTS))
        return cursor.fetchall()


def classifications_of(measures) -> dict[int, dict[str, list[Classified]]]:
    """Each measure's classifications with their evidence, by kind ("topic", "target_group",
    "region"), each in the order of its classifications: one query for all the measures, a
    union of the three tables' rows; the terms come from the vocabulary."""
    ids = [m.pk for m in measures]
    rows = assignment_rows(ids)
    terms = {kind: dict(found) for kind, found in vocabulary().by_kind().items()}
    for kind, through in ASSIGNMENT_OF_KIND.items():
        # A term added since the vocabulary was read, by a bulk insert that left the data
        # version as it was: read here.
        unknown = {term_id for _, of, term_id, _ in rows if of == kind} - terms[kind].keys()
        if unknown:
            model = through._meta.get_field(through.term_field).related_model
            terms[kind].update(model.objects.in_bulk(unknown))
            terms[kind] = dict(
                sorted(terms[kind].items(), key=lambda t: (t[1].position, t[1].slug))
            )
    found = {pk: {kind: [] for kind in ASSIGNMENT_OF_KIND} for pk in ids}
    for measure_id, kind, term_id, evidence in rows:
        if (term := terms[kind].get(term_id)) is not None:  # None: deleted meanwhile
            found[measure_id][kind].append(Classified(term, evidence))
    for kind, of_kind in terms.items():
        order = {pk: rank for rank, pk in enumerate(of_kind)}
        for by_kind in found.values():
            by_kind[kind].sort(key=lambda c: order[c.term.pk])
    return found


@receiver(pre_save, sender=Notice)
def remember_stored_status(sender, instance, **kwargs):
    instance._stored_status = (
        sender._base_manager.filter(pk=instance.pk).values_list("status", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=Notice)
def reindex_on_publication(sender, instance, created, **kwargs):
    """Publishing puts a notice's measures into the search index, withdrawing takes them
    out (see Searchable.is_public); raw saves too, since a revert from history is one."""
    if created or getattr(instance, "_stored_status", None) == instance.status:
        return
    measures = list(instance.measures.all())
    for measure in measures:
        measure.notice = instance
        measure.refresh_search()
    Measure.objects.bulk_update(measures, ["search_title", "search_body"])
