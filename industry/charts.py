"""Bar charts drawn on the server as inline SVG: the geometry is computed here, the template
draws it with presentation attributes and CSS classes only (no inline style or script)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from industry import derived as d
from industry.derived import localized

WIDTH = 640
LABEL_WIDTH = 200
VALUE_SPACE = 150
BAR_HEIGHT = 24
GAP = 14
TOP = 8


@dataclass
class Bar:
    label: str
    value: Decimal
    display: str
    figure: object  # the stated figure, or the one a derived bar comes from
    derived: bool = False
    note: str = ""
    note_is_editorial: bool = False
    y: float = 0
    width: float = 0

    @property
    def text_y(self) -> float:
        return round(self.y + BAR_HEIGHT * 0.7, 1)

    @property
    def value_x(self) -> float:
        return round(LABEL_WIDTH + self.width + 6, 1)


@dataclass
class BarChart:
    slug: str
    title: str
    unit: str
    bars: list[Bar] = field(default_factory=list)

    label_x = LABEL_WIDTH - 8
    axis_x = LABEL_WIDTH
    width = WIDTH
    bar_height = BAR_HEIGHT

    def __post_init__(self):
        largest = max((bar.value for bar in self.bars), default=Decimal(0))
        scale = (WIDTH - LABEL_WIDTH - VALUE_SPACE) / float(largest or 1)
        for index, bar in enumerate(self.bars):
            bar.y = TOP + index * (BAR_HEIGHT + GAP)
            bar.width = round(float(bar.value) * scale, 1)

    @property
    def height(self) -> int:
        return TOP * 2 + len(self.bars) * (BAR_HEIGHT + GAP) - GAP

    @property
    def description(self) -> str:
        parts = [
            f"{bar.label}{bar.display}{_('（编者推算）') if bar.derived else ''}"
            for bar in self.bars
        ]
        return "；".join(parts) + "。"

    @property
    def has_derived(self) -> bool:
        return any(bar.derived for bar in self.bars)

    @property
    def source_figures(self) -> list:
        unique = {bar.figure.number: bar.figure for bar in self.bars if not bar.derived}
        return [unique[n] for n in sorted(unique)]

    @property
    def source(self) -> str:
        figures = self.source_figures
        if not figures:
            return ""
        article = figures[0].paragraph.section.article
        places = dict.fromkeys(f.section.short_label for f in figures)
        return _("{author}《{title}》，{places}").format(
            author=article.author, title=article.title, places="、".join(places)
        )


def stated_bar(figure, label: str) -> Bar:
    return Bar(
        label=label,
        value=figure.value,
        display=figure.printed_value,
        figure=figure,
        note=figure.change_as_printed,
    )


def derived_bar(derivation: d.Derivation, label: str) -> Bar:
    return Bar(
        label=label,
        value=derivation.result,
        display=derivation.display,
        figure=derivation.subject,
        derived=True,
        note=derivation.formula,
        note_is_editorial=True,
    )


def charts_for(product, figures: list, analysis: d.Analysis) -> list[BarChart]:
    """The charts a product's figures allow (figures: the product's and its variants')."""
    own = [f for f in figures if f.product.pk == product.pk]
    charts = []

    levels = [
        found
        for indicator in (d.CAPACITY, d.OUTPUT, d.CONSUMPTION)
        if (found := next((f for f in own if f.indicator.slug == indicator), None))
    ]
    if len(levels) > 1:
        charts.append(
            BarChart(
                slug="levels",
                title=_("{product}：产能、产量与表观消费量（{year}年）").format(
                    product=localized(product), year=levels[0].year
                ),
                unit=levels[0].unit,
                bars=[stated_bar(f, localized(f.indicator)) for f in levels],
            )
        )

    trade = [f for f in figures if f.indicator.slug in (d.IMPORTS, d.EXPORTS)]
    if trade:
        bars = []
        for f in trade:
            name = _("{product}{indicator}").format(
                product=localized(f.product), indicator=localized(f.indicator)
            )
            bars.append(stated_bar(f, _("{name} {year}年").format(name=name, year=f.year)))
            previous = analysis.derived(f, "previous")
            if previous:
                bars.append(
                    derived_bar(
                        previous,
                        _("{name} {year}年").format(name=name, year=f.year - 1),
                    )
                )
        charts.append(
            BarChart(
                slug="trade",
                title=_("{product}：进出口量及同比变化").format(product=localized(product)),
                unit=trade[0].unit,
                bars=bars,
            )
        )

    averages = sorted(
        (f for f in own if f.indicator.slug == d.AVERAGE_CAPACITY),
        key=lambda f: (f.year, f.number),
    )
    if len(averages) > 1:
        charts.append(
            BarChart(
                slug="average-capacity",
                title=_("{product}：企业平均产能，2013年与当前").format(product=localized(product)),
                unit=averages[0].unit,
                bars=[
                    stated_bar(f, f.period_text or _("{year}年").format(year=f.year))
                    for f in averages
                ],
            )
        )

    shares = [f for f in own if f.indicator.slug == d.ROUTE_SHARE and f.breakdown]
    if shares:
        bars = []
        for f in shares:
            bar = stated_bar(f, f.breakdown)
            capacity = analysis.derived(f, "route-capacity")
            if capacity:
                bar.note = _("产能约 {value}（{formula}）").format(
                    value=capacity.display, formula=capacity.formula
                )
                bar.note_is_editorial = True
            bars.append(bar)
        charts.append(
            BarChart(
                slug="process-route",
                title=_("{product}：产能的工艺路线构成（{year}年）").format(
                    product=localized(product), year=shares[0].year
                ),
                unit="%",
                bars=bars,
            )
        )

    if len(levels) < 2:  # no capacity to set the output against: output against last year
        outputs = [f for f in own if f.indicator.slug == d.OUTPUT]
        bars = []
        for f in outputs:
            bars.append(stated_bar(f, _("{year}年产量").format(year=f.year)))
            previous = analysis.derived(f, "previous")
            if previous:
                bars.append(derived_bar(previous, _("{year}年产量").format(year=f.year - 1)))
        if bars:
            charts.append(
                BarChart(
                    slug="output",
                    title=_("{product}：产量及同比变化").format(product=localized(product)),
                    unit=outputs[0].unit,
                    bars=bars,
                )
            )
    return charts
