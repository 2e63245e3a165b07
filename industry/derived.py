"""What the article's figures imply, computed from what it states, and when two of them disagree.

Nothing here is stored. Pages compute it from the stored figures each time and mark it
编者推算 (editorial); the source's own numbers are never changed.

The tolerance rule (the data-notes page says the same in Chinese)
------------------------------------------------------------------
A printed number stands for every value that rounds to it:

* An exact figure agrees to the precision printed: it allows half a unit of its last printed
  digit. 4380 is 4379.5 to 4380.5; 6.1 is 6.05 to 6.15; 23% is 22.5% to 23.5%.
* A figure marked 约 is rounded to its last significant digit, and the trailing zeros of a
  whole number are not significant: 约120 is 115 to 125, 约40 is 35 to 45.
* A derived figure carries these intervals through its formula. Every formula here is monotonic
  in each input, so the extremes come from the inputs' extremes.
* Two statements of the same quantity agree when their intervals overlap. When they do not, the
  data-notes page lists them, and the figures involved are flagged.

So 约120 against 121 (caustic soda's capacity increase) agrees, and 约120 against 114 (PVC's)
does not. A flat ±5% for 约 was rejected: the rounding rule follows from the digits the author
chose to print, whereas ±5% would put the PVC case exactly on its boundary (120 × 95% = 114),
so the verdict would hang on ≤ against <. Whoever rounds 114 to the tens writes 约110.

Figures are known by their indicator's slug (fixtures/industry.json); the checks below are the
ones the chlor-alkali article's figures allow.
"""

from __future__ import annotations

import decimal
import html
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.html import conditional_escape, format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, gettext_noop

HUNDRED = Decimal(100)

ENTERPRISES = "enterprise-count"
CAPACITY = "capacity"
NET_ADDED = "capacity-net-added"
OUTPUT = "output"
CONSUMPTION = "apparent-consumption"
OPERATING_RATE = "operating-rate"
IMPORTS = "imports"
EXPORTS = "exports"
ROUTE_SHARE = "process-route-share"
AVERAGE_CAPACITY = "average-capacity"


def localized(obj) -> str:
    """A product's or indicator's name in the page's language (English names are editorial)."""
    if get_language() == "en" and getattr(obj, "name_en", ""):
        return obj.name_en
    return str(obj)


# Words on a page
# ---------------
# Derivations are cached across requests and languages (views.all_checks), so what they say
# is kept as a message id and its parts, and only put into words when a page shows it, in
# that page's language. Words render as escaped HTML; on English pages the Chinese that the
# source prints (a section number such as 二、1、, a process route such as 电石法) is marked
# lang="zh-Hans". Chinese pages get exactly the text they always had, without extra markup.
#
# The English style: numbers as printed; 约 becomes ≈ (≈120); a unit follows its number as
# the catalogue says ("2518 (10k t)", "161 enterprises", "5%"); a range reads "115 to 125".

HAN = re.compile(r"[\u3400-\u9fff]")


def english() -> bool:
    return get_language() == "en"


def source(text) -> SafeString:
    """Text as the source prints it; on English pages, Chinese in it is marked as Chinese."""
    text = str(text)
    if english() and HAN.search(text):
        return format_html('<span lang="zh-Hans">{}</span>', text)
    return conditional_escape(text)


def render(part) -> SafeString:
    """A part of a phrase as HTML: a phrase renders itself, anything else is escaped text."""
    if isinstance(part, Phrase):
        return part.html()
    return conditional_escape(part)


def plain(part) -> str:
    """A part of a phrase as plain text (for places that take no markup)."""
    return html.unescape(strip_tags(render(part)))


class Phrase:
    """Words put together when a page shows them (see above). In a template, {{ phrase }}
    gives its HTML."""

    def html(self) -> SafeString:
        raise NotImplementedError

    def __html__(self) -> SafeString:
        return self.html()

    def __str__(self) -> str:
        return self.html()


class Fmt(Phrase):
    """A pattern that needs no translation (a formula), its {parts} filled in."""

    def __init__(self, pattern: str, **parts):
        self.pattern = pattern
        self.parts = parts

    def template(self) -> str:
        return self.pattern

    def html(self) -> SafeString:
        pattern = conditional_escape(self.template())
        return mark_safe(pattern.format(**{k: render(v) for k, v in self.parts.items()}))


class Msg(Fmt):
    """A message: its id (marked with gettext_noop for makemessages) is translated when
    shown, then its {parts} are filled in."""

    def template(self) -> str:
        return gettext(self.pattern)


class Name(Phrase):
    """A product's or indicator's name: on English pages the editorial English name, or the
    Chinese marked as Chinese when there is none."""

    def __init__(self, obj):
        self.obj = obj

    def html(self) -> SafeString:
        if english() and getattr(self.obj, "name_en", ""):
            return conditional_escape(self.obj.name_en)
        return source(self.obj)


class Source(Phrase):
    """Chinese as the source prints it (a section number, a process route)."""

    def __init__(self, text: str):
        self.text = text

    def html(self) -> SafeString:
        return source(self.text)


class Printed(Phrase):
    """What the source prints, on Chinese pages; on English pages the same thing in English
    (the source's wording, e.g. 增长约40万吨, has verbs that the parts do not keep)."""

    def __init__(self, text: str, in_english: Phrase):
        self.text = text
        self.in_english = in_english

    def html(self) -> SafeString:
        return self.in_english.html() if english() else conditional_escape(self.text)


class Num(Phrase):
    """A number as printed, with 约 before it when the source has it (≈ in English)."""

    def __init__(self, text: str, approximate: bool = False):
        self.text = text
        self.approximate = approximate

    def html(self) -> SafeString:
        if self.approximate:
            return Msg(gettext_noop("约{number}"), number=self.text).html()
        return conditional_escape(self.text)


# How a number is written with its unit; the catalogue gives the English ("{value} (10k t)").
UNIT_PATTERNS = {
    "万吨": gettext_noop("{value}万吨"),
    "家": gettext_noop("{value}家"),
}
# A unit on its own (a table column, a chart's axis).
UNIT_NAMES = {
    "万吨": gettext_noop("万吨"),
    "家": gettext_noop("家"),
    "万元": gettext_noop("万元"),
    "吨": gettext_noop("吨"),
    "名": gettext_noop("名"),
}


class Qty(Phrase):
    """A number (text or phrase) with its unit."""

    def __init__(self, number, unit: str):
        self.number = number
        self.unit = unit

    def html(self) -> SafeString:
        if self.unit == "%":
            return Fmt("{value}%", value=self.number).html()
        if self.unit in UNIT_PATTERNS:
            return Msg(UNIT_PATTERNS[self.unit], value=self.number).html()
        return mark_safe(render(self.number) + source(self.unit))  # a unit the catalogue lacks


def unit_name(unit: str) -> SafeString:
    if unit == "%" or not unit:
        return conditional_escape(unit)
    if unit in UNIT_NAMES:
        return conditional_escape(gettext(UNIT_NAMES[unit]))
    return source(unit)


class Join(Phrase):
    """Phrases one after another, with a separator; translated when it is punctuation."""

    def __init__(self, separator: str, parts: Iterable, translate: bool = False):
        self.separator = separator
        self.parts = list(parts)
        self.translate = translate

    def html(self) -> SafeString:
        separator = gettext(self.separator) if self.translate else self.separator
        return mark_safe(conditional_escape(separator).join(render(p) for p in self.parts))


def fmt(value: Decimal, places: int = 1) -> str:
    """A derived number for display: rounded, without trailing zeros."""
    text = f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text.replace("-", "−")


def fmt_signed(value: Decimal, places: int = 1) -> str:
    return ("+" if value > 0 else "") + fmt(value, places)


def places_for(unit: str) -> int:
    return 2 if unit == "%" else 1


@dataclass(frozen=True)
class Interval:
    lo: Decimal
    hi: Decimal

    @classmethod
    def exact(cls, value: Decimal | int) -> Interval:
        return cls(Decimal(value), Decimal(value))

    def overlaps(self, other: Interval) -> bool:
        return self.lo <= other.hi and other.lo <= self.hi

    def signed(self, sign: int) -> Interval:
        return self if sign >= 0 else Interval(-self.hi, -self.lo)

    def phrase(self, places: int = 2) -> Phrase:
        if self.lo == self.hi:
            return Fmt("{value}", value=fmt(self.lo, places))
        return Msg(gettext_noop("{lo} ~ {hi}"), lo=fmt(self.lo, places), hi=fmt(self.hi, places))

    def display(self, places: int = 2) -> str:
        return self.phrase(places).html()


def printed_interval(text: str, *, approximate: bool = False) -> Interval:
    """The values a printed number stands for (see the module docstring)."""
    value = Decimal(text)
    if "." in text:
        step = Decimal(1).scaleb(-len(text.split(".")[1]))
    else:
        step = Decimal(1)
        if approximate and value:
            step = Decimal(10) ** (len(text) - len(text.rstrip("0")))
    return Interval(value - step / 2, value + step / 2)


def span(fn: Callable[..., Decimal], *intervals: Interval) -> Interval:
    """fn over intervals, for an fn monotonic in each argument."""
    results = [fn(*corner) for corner in itertools.product(*((i.lo, i.hi) for i in intervals))]
    return Interval(min(results), max(results))


# The formulas, on plain numbers. `sign` is +1 for an increase and -1 for a decrease;
# changes are given as magnitudes, as the article prints them.


def utilisation(output: Decimal, capacity: Decimal) -> Decimal:
    return output / capacity * HUNDRED


def apparent_consumption(output: Decimal, imports: Decimal, exports: Decimal) -> Decimal:
    return output + imports - exports


def average(total: Decimal, count: Decimal) -> Decimal:
    return total / count


def previous_from_pct(value: Decimal, pct: Decimal, sign: int = 1) -> Decimal:
    return value / (1 + sign * pct / HUNDRED)


def previous_from_abs(value: Decimal, change: Decimal, sign: int = 1) -> Decimal:
    return value - sign * change


def pct_from_abs(value: Decimal, change: Decimal, sign: int = 1) -> Decimal:
    """The percent change implied by an absolute change that ended at `value`."""
    return sign * change / (value - sign * change) * HUNDRED


def abs_from_pct(value: Decimal, pct: Decimal, sign: int = 1) -> Decimal:
    """The absolute change implied by a percent change that ended at `value`."""
    return value - previous_from_pct(value, pct, sign)


def pct_change(old: Decimal, new: Decimal) -> Decimal:
    return (new - old) / old * HUNDRED


def share_of(total: Decimal, pct: Decimal) -> Decimal:
    return total * pct / HUNDRED


def value_interval(figure) -> Interval:
    return printed_interval(figure.value_text, approximate=figure.is_approximate)


def label(text: str, approximate: bool) -> Num:
    """A number as a formula shows it: 约120 (≈120 in English)."""
    return Num(text, approximate)


def value_label(figure) -> Num:
    return label(figure.value_text, figure.is_approximate)


def value_of(figure) -> Qty:
    """A figure's value with its unit: on Chinese pages exactly as printed (约120万吨), on
    English pages in English (≈120 (10k t))."""
    return Qty(value_label(figure), figure.unit)


def sign_symbol(sign: int) -> str:
    return "+" if sign >= 0 else "−"


@dataclass(eq=False)
class Derivation:
    """A figure computed from stated ones, optionally checked against what the article states."""

    check: str
    heading: Phrase  # shown as .title
    expression: Phrase  # shown as .formula
    result: Decimal
    interval: Interval
    unit: str
    subject: object  # the figure beside which it is shown
    inputs: tuple = ()
    stated: Interval | None = None
    stated_text: str = ""

    @property
    def is_computable(self) -> bool:
        numbers = [self.result, self.interval.lo, self.interval.hi]
        return all(isinstance(n, int) or n.is_finite() for n in numbers)

    @property
    def is_check(self) -> bool:
        return self.stated is not None

    @property
    def agrees(self) -> bool | None:
        if self.stated is None:
            return None
        return self.interval.overlaps(self.stated)

    @property
    def figures(self) -> list:
        unique = {f.number: f for f in (self.subject, *self.inputs)}
        return [unique[n] for n in sorted(unique)]

    @property
    def sentences(self) -> list[tuple[str, list]]:
        """The source sentences involved, each once, with the figures it states."""
        grouped = {}
        for figure in self.figures:
            grouped.setdefault(figure.sentence, []).append(figure)
        return list(grouped.items())

    @property
    def anchor(self) -> str:
        return f"{self.check}-" + "-".join(str(f.number) for f in self.figures)

    @property
    def places(self) -> int:
        return places_for(self.unit)

    # What pages show, in the language of the page showing it.

    @property
    def title(self) -> SafeString:
        return self.heading.html()

    @property
    def formula(self) -> SafeString:
        return self.expression.html()

    @property
    def quantity(self) -> Qty:
        return Qty(fmt(self.result, self.places), self.unit)

    @property
    def display(self) -> SafeString:
        return self.quantity.html()

    @property
    def interval_display(self) -> SafeString:
        return Qty(self.interval.phrase(self.places), self.unit).html()

    @property
    def stated_interval_display(self) -> SafeString:
        if self.stated is None:
            return mark_safe("")
        return Qty(self.stated.phrase(self.places), self.unit).html()


@dataclass(frozen=True)
class ChangeStatement:
    """One way the article states a change: an amount or a percentage, on some row."""

    figure: object
    form: str  # "abs" or "pct"
    number: str  # as printed, e.g. 40
    approximate: bool
    text: str  # the whole change as printed, e.g. 增长约40万吨
    sign: int
    level: object  # the figure holding the level the change ended at

    @property
    def magnitude(self) -> Interval:
        return printed_interval(self.number, approximate=self.approximate)

    @property
    def shown(self) -> Num:
        return label(self.number, self.approximate)

    @property
    def printed(self) -> Printed:
        """The change as printed (增长约40万吨); in English, signed: +≈40 (10k t)."""
        quantity = Qty(self.shown, "%" if self.form == "pct" else self.figure.unit)
        if self.from_net_added:
            return Printed(self.text, quantity)
        return Printed(self.text, Fmt("{sign}{value}", sign=sign_symbol(self.sign), value=quantity))

    @property
    def from_net_added(self) -> bool:
        return self.figure.indicator.slug == NET_ADDED

    def as_pct(self) -> Interval:
        if self.form == "pct":
            return self.magnitude.signed(self.sign)
        return span(
            lambda value, change: pct_from_abs(value, change, self.sign),
            value_interval(self.level),
            self.magnitude,
        )

    def point_pct(self) -> Decimal:
        if self.form == "pct":
            return self.sign * Decimal(self.number)
        return pct_from_abs(self.level.value, Decimal(self.number), self.sign)


class Analysis:
    """Every derivation and check the given figures allow, indexed by figure."""

    def __init__(self, figures: Iterable):
        self.figures = sorted(figures, key=lambda f: f.number)
        self._rows = defaultdict(list)
        self._variants = defaultdict(list)
        for figure in self.figures:
            key = (figure.product.pk, figure.indicator.slug, figure.breakdown, figure.year)
            self._rows[key].append(figure)
        products = {f.product.pk: f.product for f in self.figures}
        for product in products.values():
            if product.parent_id:
                self._variants[product.parent_id].append(product)
        # Figures an editor enters can make a formula meaningless (a capacity equal to its
        # own net addition divides by zero): such a derivation is left out, not a crash.
        with decimal.localcontext() as context:
            context.traps[decimal.DivisionByZero] = False
            context.traps[decimal.InvalidOperation] = False
            derivations = [
                *self._restated(),
                *self._changes(),
                *self._utilisation(),
                *self._consumption(),
                *self._averages(),
                *self._parts(),
                *self._route_shares(),
                *self._implied(),
                *self._average_growth(),
                *self._route_capacities(),
            ]
        self.derivations: list[Derivation] = [d for d in derivations if d.is_computable]
        self._by_subject = defaultdict(list)
        self._involving = defaultdict(list)
        for derivation in self.derivations:
            self._by_subject[derivation.subject.number].append(derivation)
            for figure in derivation.figures:
                self._involving[figure.number].append(derivation)

    def first(self, product, indicator: str, year: int, breakdown: str = ""):
        rows = self._rows.get((product.pk, indicator, breakdown, year))
        return rows[0] if rows else None

    @property
    def checks(self) -> list[Derivation]:
        return [d for d in self.derivations if d.is_check]

    @property
    def disagreements(self) -> list[Derivation]:
        return [d for d in self.derivations if d.agrees is False]

    @property
    def agreements(self) -> list[Derivation]:
        return [d for d in self.derivations if d.agrees is True]

    @property
    def flagged_numbers(self) -> set[int]:
        return {f.number for d in self.disagreements for f in d.figures}

    def for_figure(self, figure) -> list[Derivation]:
        """Shown beside a figure: what is derived for it, then any disagreement it is part of."""
        own = self._by_subject.get(figure.number, [])
        others = [
            d for d in self._involving.get(figure.number, []) if d.agrees is False and d not in own
        ]
        return [*own, *others]

    def derived(self, figure, check: str) -> Derivation | None:
        return next(
            (d for d in self._by_subject.get(figure.number, []) if d.check == check),
            None,
        )

    def _years(self):
        return {(f.product.pk, f.year): f.product for f in self.figures}.items()

    # Checks: a derived or restated figure against what the article states.

    def _restated(self):
        for rows in self._rows.values():
            for a, b in itertools.combinations(rows, 2):
                yield Derivation(
                    check="restated",
                    heading=Msg(
                        gettext_noop("{product}{indicator}：两处所述"),
                        product=Name(b.product),
                        indicator=Name(b.indicator),
                    ),
                    expression=Msg(
                        gettext_noop("{a}（{where_a}）与 {b}（{where_b}）"),
                        a=value_of(a),
                        where_a=Source(a.section.short_label),
                        b=value_of(b),
                        where_b=Source(b.section.short_label),
                    ),
                    result=a.value,
                    interval=value_interval(a),
                    unit=a.unit,
                    subject=b,
                    inputs=(a,),
                    stated=value_interval(b),
                    stated_text=b.printed_value,
                )

    def _change_statements(self):
        groups = defaultdict(list)
        for f in self.figures:
            if f.indicator.slug == NET_ADDED:
                level = self.first(f.product, CAPACITY, f.year, f.breakdown)
                if level:
                    groups[(f.product.pk, CAPACITY, f.breakdown, f.year)].append(
                        ChangeStatement(
                            f, "abs", f.value_text, f.is_approximate, f.printed_value, 1, level
                        )
                    )
                continue
            key = (f.product.pk, f.indicator.slug, f.breakdown, f.year)
            if f.change_abs_text:
                groups[key].append(
                    ChangeStatement(
                        f,
                        "abs",
                        f.change_abs_text,
                        f.change_is_approximate,
                        f.change_as_printed,
                        f.sign,
                        f,
                    )
                )
            if f.change_pct_text:
                groups[key].append(
                    ChangeStatement(
                        f, "pct", f.change_pct_text, False, f.change_as_printed, f.sign, f
                    )
                )
        return groups.values()

    def _changes(self):
        for statements in self._change_statements():
            for s, t in itertools.combinations(statements, 2):
                if s.figure is t.figure or (s.from_net_added and t.from_net_added):
                    continue  # two net additions are compared as restated figures
                if s.form == t.form:
                    derived, stated = s, t
                    interval = s.magnitude.signed(s.sign)
                    stated_interval = t.magnitude.signed(t.sign)
                    result = s.sign * Decimal(s.number)
                    unit = "%" if s.form == "pct" else s.figure.unit
                    formula = Msg(
                        gettext_noop("{a}（{where_a}）与 {b}（{where_b}）"),
                        a=s.printed,
                        where_a=Source(s.figure.section.short_label),
                        b=t.printed,
                        where_b=Source(t.figure.section.short_label),
                    )
                else:
                    derived, stated = (s, t) if s.form == "abs" else (t, s)
                    interval = derived.as_pct()
                    stated_interval = stated.as_pct()
                    result = derived.point_pct()
                    unit = "%"
                    formula = Msg(
                        gettext_noop("{change} ÷ ({level} {op} {change}) × 100%（{where}所述）"),
                        change=derived.shown,
                        level=value_label(derived.level),
                        op="−" if derived.sign > 0 else "+",
                        where=Source(derived.figure.section.short_label),
                    )
                inputs = {derived.figure.number: derived.figure}
                inputs.setdefault(derived.level.number, derived.level)
                yield Derivation(
                    check="change",
                    heading=Msg(
                        gettext_noop("{product}{indicator}的变化：两处所述"),
                        product=Name(stated.figure.product),
                        indicator=Name(stated.level.indicator),
                    ),
                    expression=formula,
                    result=result,
                    interval=interval,
                    unit=unit,
                    subject=stated.figure,
                    inputs=tuple(inputs.values()),
                    stated=stated_interval,
                    stated_text=stated.text,
                )

    def _utilisation(self):
        for (_pk, year), product in self._years():
            output = self.first(product, OUTPUT, year)
            capacity = self.first(product, CAPACITY, year)
            rate = self.first(product, OPERATING_RATE, year)
            if not (output and capacity and rate):
                continue
            yield Derivation(
                check="utilisation",
                heading=Msg(
                    gettext_noop("{product}产能利用率（产量 ÷ 产能），对照所述开工率"),
                    product=Name(product),
                ),
                expression=Msg(
                    gettext_noop("产量 ÷ 产能 × 100% = {output} ÷ {capacity} × 100%"),
                    output=value_label(output),
                    capacity=value_label(capacity),
                ),
                result=utilisation(output.value, capacity.value),
                interval=span(utilisation, value_interval(output), value_interval(capacity)),
                unit="%",
                subject=rate,
                inputs=(output, capacity),
                stated=value_interval(rate),
                stated_text=rate.printed_value,
            )

    def _trade(self, product, indicator: str, year: int):
        """The product's own import or export figure, else its only variant's."""
        own = self.first(product, indicator, year)
        if own:
            return own
        found = [
            f
            for variant in self._variants.get(product.pk, [])
            if (f := self.first(variant, indicator, year))
        ]
        return found[0] if len(found) == 1 else None

    def _consumption(self):
        for (_pk, year), product in self._years():
            consumption = self.first(product, CONSUMPTION, year)
            output = self.first(product, OUTPUT, year)
            imports = self._trade(product, IMPORTS, year)
            exports = self._trade(product, EXPORTS, year)
            if not (consumption and output and imports and exports):
                continue
            formula = Msg(
                gettext_noop("产量 + 进口 − 出口 = {output} + {imports} − {exports}"),
                output=value_label(output),
                imports=value_label(imports),
                exports=value_label(exports),
            )
            if imports.product.pk != product.pk:
                formula = Fmt(
                    "{formula}{substitute}",
                    formula=formula,
                    substitute=Msg(
                        gettext_noop("（原文只给出{variant}的进出口，以之代入）"),
                        variant=Name(imports.product),
                    ),
                )
            yield Derivation(
                check="consumption",
                heading=Msg(
                    gettext_noop("{product}表观消费量（产量 + 进口 − 出口），对照所述"),
                    product=Name(product),
                ),
                expression=formula,
                result=apparent_consumption(output.value, imports.value, exports.value),
                interval=span(
                    apparent_consumption,
                    value_interval(output),
                    value_interval(imports),
                    value_interval(exports),
                ),
                unit=consumption.unit,
                subject=consumption,
                inputs=(output, imports, exports),
                stated=value_interval(consumption),
                stated_text=consumption.printed_value,
            )

    def _averages(self):
        for (_pk, year), product in self._years():
            stated = self.first(product, AVERAGE_CAPACITY, year)
            capacity = self.first(product, CAPACITY, year)
            count = self.first(product, ENTERPRISES, year)
            if not (stated and capacity and count):
                continue
            yield Derivation(
                check="average",
                heading=Msg(
                    gettext_noop("{product}企业平均产能（产能 ÷ 企业数），对照所述"),
                    product=Name(product),
                ),
                expression=Msg(
                    gettext_noop("产能 ÷ 企业数 = {capacity} ÷ {count}"),
                    capacity=value_label(capacity),
                    count=value_label(count),
                ),
                result=average(capacity.value, count.value),
                interval=span(average, value_interval(capacity), value_interval(count)),
                unit=stated.unit,
                subject=stated,
                inputs=(capacity, count),
                stated=value_interval(stated),
                stated_text=stated.printed_value,
            )

    def _parts(self):
        for total in self.figures:
            variants = self._variants.get(total.product.pk, [])
            parts = [
                f
                for v in variants
                if (f := self.first(v, total.indicator.slug, total.year, total.breakdown))
            ]
            if len(parts) < 2 or total is not self.first(
                total.product, total.indicator.slug, total.year, total.breakdown
            ):
                continue
            yield Derivation(
                check="parts",
                heading=Msg(
                    gettext_noop("{product}{indicator}：分项之和，对照总数"),
                    product=Name(total.product),
                    indicator=Name(total.indicator),
                ),
                expression=Join(
                    " + ",
                    (
                        Fmt("{product} {value}", product=Name(p.product), value=value_label(p))
                        for p in parts
                    ),
                ),
                result=sum((p.value for p in parts), Decimal(0)),
                interval=span(
                    lambda *values: sum(values, Decimal(0)),
                    *(value_interval(p) for p in parts),
                ),
                unit=total.unit,
                subject=total,
                inputs=tuple(parts),
                stated=value_interval(total),
                stated_text=total.printed_value,
            )
            if total.change_pct_text and all(p.change_pct_text for p in parts):
                previous = [self._previous_interval(p) for p in parts]
                yield Derivation(
                    check="parts-previous",
                    heading=Msg(
                        gettext_noop(
                            "{product}{indicator}：分项上年数之和，对照总数的上年数（均据变化率推算）"
                        ),
                        product=Name(total.product),
                        indicator=Name(total.indicator),
                    ),
                    expression=Join(
                        " + ",
                        (
                            Fmt(
                                "{product} {value} ÷ (1 {op} {pct}%)",
                                product=Name(p.product),
                                value=value_label(p),
                                op=sign_symbol(p.sign),
                                pct=p.change_pct_text,
                            )
                            for p in parts
                        ),
                    ),
                    result=sum(
                        (
                            previous_from_pct(p.value, Decimal(p.change_pct_text), p.sign)
                            for p in parts
                        ),
                        Decimal(0),
                    ),
                    interval=Interval(
                        sum((i.lo for i in previous), Decimal(0)),
                        sum((i.hi for i in previous), Decimal(0)),
                    ),
                    unit=total.unit,
                    subject=total,
                    inputs=tuple(parts),
                    stated=self._previous_interval(total),
                    stated_text=f"{total.printed_value}，{total.change_as_printed}",
                )

    @staticmethod
    def _previous_interval(figure) -> Interval:
        return span(
            lambda value, pct: previous_from_pct(value, pct, figure.sign),
            value_interval(figure),
            printed_interval(figure.change_pct_text),
        )

    def _route_shares(self):
        groups = defaultdict(list)
        for f in self.figures:
            if f.indicator.slug == ROUTE_SHARE and f.breakdown:
                groups[(f.product.pk, f.year)].append(f)
        for shares in groups.values():
            if len(shares) < 2:
                continue
            yield Derivation(
                check="shares",
                heading=Msg(
                    gettext_noop("{product}各工艺路线比重之和，对照100%"),
                    product=Name(shares[0].product),
                ),
                expression=Join(
                    " + ",
                    (
                        Fmt("{route} {value}", route=Source(s.breakdown), value=value_of(s))
                        for s in shares
                    ),
                ),
                result=sum((s.value for s in shares), Decimal(0)),
                interval=Interval(
                    sum((value_interval(s).lo for s in shares), Decimal(0)),
                    sum((value_interval(s).hi for s in shares), Decimal(0)),
                ),
                unit="%",
                subject=shares[0],
                inputs=tuple(shares[1:]),
                stated=Interval.exact(100),
                stated_text="100%",
            )

    # Derived figures shown beside a stated one, with nothing to check them against.

    def _implied(self):
        for f in self.figures:
            before = f.year - 1
            if f.indicator.slug == NET_ADDED:
                capacity = self.first(f.product, CAPACITY, f.year, f.breakdown)
                if not capacity:
                    continue
                yield Derivation(
                    check="previous",
                    heading=Msg(gettext_noop("{year}年产能（产能 − 产能净增）"), year=before),
                    expression=Fmt(
                        "{capacity} − {added}",
                        capacity=value_label(capacity),
                        added=value_label(f),
                    ),
                    result=previous_from_abs(capacity.value, f.value),
                    interval=span(previous_from_abs, value_interval(capacity), value_interval(f)),
                    unit=f.unit,
                    subject=f,
                    inputs=(capacity,),
                )
                yield Derivation(
                    check="pct-from-abs",
                    heading=Msg(gettext_noop("折合产能同比增长率")),
                    expression=Fmt(
                        "{added} ÷ ({capacity} − {added}) × 100%",
                        capacity=value_label(capacity),
                        added=value_label(f),
                    ),
                    result=pct_from_abs(capacity.value, f.value),
                    interval=span(pct_from_abs, value_interval(capacity), value_interval(f)),
                    unit="%",
                    subject=f,
                    inputs=(capacity,),
                )
                continue
            if f.change_pct_text:
                pct = printed_interval(f.change_pct_text)
                yield Derivation(
                    check="previous",
                    heading=Msg(gettext_noop("{year}年数值（据变化率推算）"), year=before),
                    expression=Fmt(
                        "{value} ÷ (1 {op} {pct}%)",
                        value=value_label(f),
                        op=sign_symbol(f.sign),
                        pct=f.change_pct_text,
                    ),
                    result=previous_from_pct(f.value, Decimal(f.change_pct_text), f.sign),
                    interval=span(
                        lambda v, p, s=f.sign: previous_from_pct(v, p, s),
                        value_interval(f),
                        pct,
                    ),
                    unit=f.unit,
                    subject=f,
                )
                yield Derivation(
                    check="abs-from-pct",
                    heading=Msg(gettext_noop("折合变化量")),
                    expression=Fmt(
                        "{value} − {value} ÷ (1 {op} {pct}%)",
                        value=value_label(f),
                        op=sign_symbol(f.sign),
                        pct=f.change_pct_text,
                    ),
                    result=abs_from_pct(f.value, Decimal(f.change_pct_text), f.sign),
                    interval=span(
                        lambda v, p, s=f.sign: abs_from_pct(v, p, s),
                        value_interval(f),
                        pct,
                    ),
                    unit=f.unit,
                    subject=f,
                )
            if f.change_abs_text:
                change = printed_interval(f.change_abs_text, approximate=f.change_is_approximate)
                shown = label(f.change_abs_text, f.change_is_approximate)
                back = "−" if f.sign > 0 else "+"
                yield Derivation(
                    check="previous",
                    heading=Msg(gettext_noop("{year}年数值（据变化量推算）"), year=before),
                    expression=Fmt(
                        "{value} {back} {change}", value=value_label(f), back=back, change=shown
                    ),
                    result=previous_from_abs(f.value, Decimal(f.change_abs_text), f.sign),
                    interval=span(
                        lambda v, c, s=f.sign: previous_from_abs(v, c, s),
                        value_interval(f),
                        change,
                    ),
                    unit=f.unit,
                    subject=f,
                )
                yield Derivation(
                    check="pct-from-abs",
                    heading=Msg(gettext_noop("折合变化率")),
                    expression=Fmt(
                        "{op}{change} ÷ ({value} {back} {change}) × 100%",
                        op=sign_symbol(f.sign),
                        change=shown,
                        value=value_label(f),
                        back=back,
                    ),
                    result=pct_from_abs(f.value, Decimal(f.change_abs_text), f.sign),
                    interval=span(
                        lambda v, c, s=f.sign: pct_from_abs(v, c, s),
                        value_interval(f),
                        change,
                    ),
                    unit="%",
                    subject=f,
                )

    def _average_growth(self):
        groups = defaultdict(list)
        for f in self.figures:
            if f.indicator.slug == AVERAGE_CAPACITY:
                groups[(f.product.pk, f.breakdown)].append(f)
        for rows in groups.values():
            by_year = {}
            for f in rows:
                by_year.setdefault(f.year, f)
            years = sorted(by_year)
            for old_year, new_year in itertools.pairwise(years):
                old, new = by_year[old_year], by_year[new_year]
                yield Derivation(
                    check="growth",
                    heading=Msg(gettext_noop("{old}年至{new}年的增幅"), old=old_year, new=new_year),
                    expression=Fmt(
                        "({new} − {old}) ÷ {old} × 100%",
                        new=value_label(new),
                        old=value_label(old),
                    ),
                    result=pct_change(old.value, new.value),
                    interval=span(pct_change, value_interval(old), value_interval(new)),
                    unit="%",
                    subject=new,
                    inputs=(old,),
                )

    def _route_capacities(self):
        for f in self.figures:
            if f.indicator.slug != ROUTE_SHARE or not f.breakdown:
                continue
            capacity = self.first(f.product, CAPACITY, f.year)
            if not capacity:
                continue
            yield Derivation(
                check="route-capacity",
                heading=Msg(gettext_noop("{route}产能（产能 × 比重）"), route=Source(f.breakdown)),
                expression=Fmt(
                    "{capacity} × {share}", capacity=value_label(capacity), share=value_of(f)
                ),
                result=share_of(capacity.value, f.value),
                interval=span(share_of, value_interval(capacity), value_interval(f)),
                unit=capacity.unit,
                subject=f,
                inputs=(capacity,),
            )


class ArticleAnalyses:
    """The analyses of several articles, each on its own (an article's figures are only
    checked against each other), answering as one Analysis does for the figures shown."""

    def __init__(self, figures: Iterable):
        by_article = defaultdict(list)
        for figure in figures:
            by_article[figure.paragraph.section.article_id].append(figure)
        self.analyses = [Analysis(group) for group in by_article.values()]
        self._of = {f.number: a for a in self.analyses for f in a.figures}
        self.figures = sorted((f for a in self.analyses for f in a.figures), key=lambda f: f.number)

    @property
    def disagreements(self) -> list[Derivation]:
        return [d for a in self.analyses for d in a.disagreements]

    @property
    def agreements(self) -> list[Derivation]:
        return [d for a in self.analyses for d in a.agreements]

    @property
    def flagged_numbers(self) -> set[int]:
        return {n for a in self.analyses for n in a.flagged_numbers}

    def for_figure(self, figure) -> list[Derivation]:
        analysis = self._of.get(figure.number)
        return analysis.for_figure(figure) if analysis else []

    def derived(self, figure, check: str) -> Derivation | None:
        analysis = self._of.get(figure.number)
        return analysis.derived(figure, check) if analysis else None
