"""Bar charts drawn on the server as inline SVG: the geometry is computed here, the template
draws it with presentation attributes and CSS classes only (no inline style or script).

What a chart says (title, labels, values, the text alternative) is put into words as the
view builds it, in the page's language (see templatetags/industry_text.py): on English pages
numbers and units are in English, and the Chinese the source prints (a process route) is
marked."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext_noop as _  # marks ids, translated when shown

from core.text import english, has_han, localized, localized_html, source
from industry import derived as d
from industry.templatetags.industry_text import (
    derivation,
    figure_name,
    join,
    phrase,
    plain,
    unit_name,
    value_of,
)

# Each bar under its label, the bar's length a percentage of the chart's width and the
# text in CSS pixels: the chart takes the width it is given (a 390 px phone or a desk)
# without scaling its words down or scrolling sideways. The longest bar leaves the rest
# of the width for its value.
LONGEST_BAR = 55  # percent of the width
LABEL_HEIGHT = 18
BAR_HEIGHT = 20
GAP = 12
TOP = 4
ROW = LABEL_HEIGHT + BAR_HEIGHT + GAP

# A period as the source prints it, as a chart labels it (2013年, 当前).
PERIODS = {"当前": _("当前"), "目前": _("目前")}


@dataclass
class Bar:
    label: str  # text, or HTML
    value: Decimal
    display: SafeString  # the value with its unit
    figure: object  # the stated figure, or the one a derived bar comes from
    derived: bool = False
    note: str = ""
    note_is_editorial: bool = False
    y: float = 0  # the top of the bar's row
    width: float = 0  # percent of the chart's width

    @property
    def label_y(self) -> float:
        return self.y + LABEL_HEIGHT - 5

    @property
    def bar_y(self) -> float:
        return self.y + LABEL_HEIGHT

    @property
    def text_y(self) -> float:
        return round(self.bar_y + BAR_HEIGHT * 0.72, 1)

    @property
    def display_text(self) -> str:
        """The value without markup, for the SVG <text>."""
        return plain(self.display)

    @property
    def display_lang(self) -> str:
        """lang="zh-Hans" for the SVG value on English pages if its unit is one the catalogue
        cannot put into English (the <text> cannot mark it in part)."""
        return "zh-Hans" if english() and has_han(self.display_text) else ""

    @property
    def label_html(self) -> SafeString:
        return conditional_escape(self.label)

    @property
    def label_text(self) -> str:
        """The label without markup, for the SVG <text> (escaped by the template)."""
        return plain(self.label)

    @property
    def label_lang(self) -> str:
        """lang="zh-Hans" for the SVG label on English pages when it is the source's Chinese
        (a process route), which the <text> cannot mark in part."""
        return "zh-Hans" if english() and has_han(self.label_text) else ""


@dataclass
class BarChart:
    slug: str
    title: SafeString
    unit: str
    bars: list[Bar] = field(default_factory=list)

    bar_height = BAR_HEIGHT

    def __post_init__(self):
        largest = max((bar.value for bar in self.bars), default=Decimal(0))
        scale = LONGEST_BAR / float(largest or 1)
        for index, bar in enumerate(self.bars):
            bar.y = TOP + index * ROW
            bar.width = round(float(bar.value) * scale, 1)

    @property
    def height(self) -> int:
        return TOP * 2 + len(self.bars) * ROW - GAP

    @property
    def unit_name(self) -> SafeString:
        return unit_name(self.unit)

    @property
    def description(self) -> SafeString:
        """The text alternative: every bar's label and value, in a sentence."""
        items = [
            phrase(
                _("{label}{value}（编者推算）") if bar.derived else _("{label}{value}"),
                label=bar.label,
                value=bar.display,
            )
            for bar in self.bars
        ]
        return phrase(_("{items}。"), items=join(_("；"), items))

    @property
    def has_derived(self) -> bool:
        return any(bar.derived for bar in self.bars)

    @property
    def source_figures(self) -> list:
        unique = {bar.figure.number: bar.figure for bar in self.bars if not bar.derived}
        return [unique[n] for n in sorted(unique)]

    @property
    def source(self) -> SafeString | str:
        figures = self.source_figures
        if not figures:
            return ""
        article = figures[0].paragraph.section.article
        places = dict.fromkeys(f.section.short_label for f in figures)
        return phrase(
            _("{author}《{title}》，{places}"),
            author=source(article.author),
            title=source(article.title),
            places=join(_("、"), [source(p) for p in places]),
        )


def stated_bar(figure, label) -> Bar:
    return Bar(label, figure.value, value_of(figure), figure, note=figure.change_as_printed)


def derived_bar(derived: d.Derivation, label, figures: dict) -> Bar:
    return Bar(
        label=label,
        value=derived.value,
        display=derivation(derived, "value", figures),
        figure=figures[derived.subject],
        derived=True,
        note=derivation(derived, "formula", figures),
        note_is_editorial=True,
    )


def period_label(figure) -> SafeString:
    """The period a bar shows: the source's words (2013年, 当前), put into English on
    English pages; the year when the source names no period."""
    printed = figure.period_text
    if not printed or printed == f"{figure.year}年":
        return phrase(_("{year}年"), year=figure.year)
    if printed in PERIODS:
        return phrase(PERIODS[printed])
    return source(printed)


def charts_for(product, figures: list, analysis: d.Analysis) -> list[BarChart]:
    """The charts a product's figures allow (figures: the product's and its variants')."""
    own = [f for f in figures if f.product.pk == product.pk]
    known = analysis.by_number
    name = localized_html(product)
    charts = []

    levels = [
        found
        for indicator in (d.CAPACITY, d.OUTPUT, d.CONSUMPTION)
        if (found := next((f for f in own if f.indicator.slug == indicator), None))
    ]
    if len(levels) > 1:
        title = _("{product}：产能、产量与表观消费量（{year}年）")
        charts.append(
            BarChart(
                slug="levels",
                title=phrase(title, product=name, year=levels[0].year),
                unit=levels[0].unit,
                bars=[stated_bar(f, localized(f.indicator)) for f in levels],
            )
        )

    trade = [f for f in figures if f.indicator.slug in (d.IMPORTS, d.EXPORTS)]
    if trade:
        bars = []
        for f in trade:
            label = _("{name} {year}年")
            bars.append(stated_bar(f, phrase(label, name=figure_name(f), year=f.year)))
            if previous := analysis.derived(f, "previous"):
                label = phrase(label, name=figure_name(f), year=f.year - 1)
                bars.append(derived_bar(previous, label, known))
        title = phrase(_("{product}：进出口量及同比变化"), product=name)
        charts.append(BarChart(slug="trade", title=title, unit=trade[0].unit, bars=bars))

    averages = sorted(
        (f for f in own if f.indicator.slug == d.AVERAGE_CAPACITY),
        key=lambda f: (f.year, f.number),
    )
    if len(averages) > 1:
        charts.append(
            BarChart(
                slug="average-capacity",
                title=phrase(_("{product}：企业平均产能，2013年与当前"), product=name),
                unit=averages[0].unit,
                bars=[stated_bar(f, period_label(f)) for f in averages],
            )
        )

    shares = [f for f in own if f.indicator.slug == d.ROUTE_SHARE and f.breakdown]
    if shares:
        bars = []
        for f in shares:
            bar = stated_bar(f, source(f.breakdown))
            if capacity := analysis.derived(f, "route-capacity"):
                bar.note = phrase(
                    _("若比重按产能计，产能约 {value}（{formula}）"),
                    value=derivation(capacity, "value", known),
                    formula=derivation(capacity, "formula", known),
                )
                bar.note_is_editorial = True
            bars.append(bar)
        # As the source says it (电石法比重为81.3%): it does not say whether these are
        # shares of capacity or of output.
        title = _("{product}：工艺路线比重（{year}年）")
        charts.append(
            BarChart(
                slug="process-route",
                title=phrase(title, product=name, year=shares[0].year),
                unit="%",
                bars=bars,
            )
        )

    if len(levels) < 2:  # no capacity to set the output against: output against last year
        outputs = [f for f in own if f.indicator.slug == d.OUTPUT]
        bars = []
        for f in outputs:
            bars.append(stated_bar(f, phrase(_("{year}年产量"), year=f.year)))
            if previous := analysis.derived(f, "previous"):
                label = phrase(_("{year}年产量"), year=f.year - 1)
                bars.append(derived_bar(previous, label, known))
        if bars:
            title = phrase(_("{product}：产量及同比变化"), product=name)
            charts.append(BarChart(slug="output", title=title, unit=outputs[0].unit, bars=bars))
    return charts
