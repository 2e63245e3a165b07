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

Laid out as: interval arithmetic; the formulas on plain numbers; RULES, the table of which
figures each derivation takes and by which formula; one evaluator giving a formula's value
and its interval. A Derivation holds numbers only (figure numbers, Decimals, the source's
printed text), so it can be cached; the `derivation` template tag words it in the page's
language. Figures are known by their indicator's slug (fixtures/industry.json).
"""

from __future__ import annotations

import decimal
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

HUNDRED = Decimal(100)

ENTERPRISES = "enterprise-count"
CAPACITY = "capacity"
NET_ADDED = "capacity-net-added"
OUTPUT = "output"
CONSUMPTION = "apparent-consumption"
OPERATING_RATE = "operating-rate"
IMPORTS = "imports"
EXPORTS = "exports"
TRADE = (IMPORTS, EXPORTS)
ROUTE_SHARE = "process-route-share"
AVERAGE_CAPACITY = "average-capacity"


@dataclass(frozen=True)
class Interval:
    lo: Decimal
    hi: Decimal

    def overlaps(self, other: Interval) -> bool:
        return self.lo <= other.hi and other.lo <= self.hi

    def signed(self, sign: int) -> Interval:
        return self if sign >= 0 else Interval(-self.hi, -self.lo)

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.lo + other.lo, self.hi + other.hi)


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


# The formulas, on plain numbers. A change is signed (the article prints its size and says
# which way): an increase is positive, a decrease negative.


def same(value: Decimal) -> Decimal:
    return value


def utilisation(output: Decimal, capacity: Decimal) -> Decimal:
    return output / capacity * HUNDRED


def utilisation_of_average(output: Decimal, capacity: Decimal, added: Decimal) -> Decimal:
    """Output over the mean of the year's opening capacity (the year-end's less its net
    addition) and its year-end capacity."""
    return output / (capacity - added / 2) * HUNDRED


def apparent_consumption(output: Decimal, imports: Decimal, exports: Decimal) -> Decimal:
    return output + imports - exports


def average(total: Decimal, count: Decimal) -> Decimal:
    return total / count


def previous_from_pct(value: Decimal, pct: Decimal) -> Decimal:
    return value / (1 + pct / HUNDRED)


def previous_from_abs(value: Decimal, change: Decimal) -> Decimal:
    return value - change


def pct_from_abs(value: Decimal, change: Decimal) -> Decimal:
    """The percent change implied by an absolute change that ended at `value`."""
    return change / (value - change) * HUNDRED


def abs_from_pct(value: Decimal, pct: Decimal) -> Decimal:
    """The absolute change implied by a percent change that ended at `value`."""
    return value - previous_from_pct(value, pct)


def pct_change(old: Decimal, new: Decimal) -> Decimal:
    return (new - old) / old * HUNDRED


def share_of(total: Decimal, pct: Decimal) -> Decimal:
    return total * pct / HUNDRED


# A term is one number a figure prints: its value, or the change beside it as an amount or a
# percentage. A rule names the terms it takes by their role: (role, figure, aspect).
VALUE, ABS, PCT = "value", "abs", "pct"


def printed_number(figure, aspect: str) -> tuple[str, bool]:
    """The term's digits as printed, and whether 约 stands before them."""
    if aspect == VALUE:
        return figure.value_text, figure.is_approximate
    if aspect == ABS:
        return figure.change_abs_text, figure.change_is_approximate
    return figure.change_pct_text, False


def as_printed(figure, aspect: str) -> str:
    """The source's words for the term: 约120万吨, 同比增加2.8%."""
    return figure.printed_value if aspect == VALUE else figure.change_as_printed


def outcome(formula: Callable[..., Decimal], terms: list) -> tuple[Decimal, Interval]:
    """The evaluator: the formula on the terms as printed, and over the values they stand for."""
    points, intervals = [], []
    for _role, figure, aspect in terms:
        text, approximate = printed_number(figure, aspect)
        sign = 1 if aspect == VALUE else figure.sign
        points.append(figure.value if aspect == VALUE else sign * Decimal(text))
        intervals.append(printed_interval(text, approximate=approximate).signed(sign))
    return formula(*points), span(formula, *intervals)


def by_figure(terms: Iterable) -> list[list]:
    """A sum's terms, part by part (a part's terms come from one figure)."""
    return [list(part) for _n, part in itertools.groupby(terms, key=lambda t: t[1].number)]


class Figures:
    """One article's figures, looked up as the rules need them."""

    def __init__(self, figures: list):
        self.all = figures
        self.rows = defaultdict(list)
        self.variants = defaultdict(list)
        for f in figures:
            self.rows[(f.product.pk, f.indicator.slug, f.breakdown, f.year)].append(f)
        for product in {f.product.pk: f.product for f in figures}.values():
            if product.parent_id:
                self.variants[product.parent_id].append(product)

    def first(self, product, indicator: str, year: int, breakdown: str = ""):
        rows = self.rows.get((product.pk, indicator, breakdown, year))
        return rows[0] if rows else None

    def in_variants(self, product, indicator: str, year: int, breakdown: str = "") -> list:
        found = (self.first(v, indicator, year, breakdown) for v in self.variants[product.pk])
        return [f for f in found if f]

    def of(self, indicator: str) -> list:
        return [f for f in self.all if f.indicator.slug == indicator]


# The finders: which figures a rule takes. Each yields (subject, inputs, stated terms), the
# subject being the figure beside which a page shows the result.


def restated(figures: Figures) -> Iterator:
    for rows in figures.rows.values():
        for a, b in itertools.combinations(rows, 2):
            yield b, [("a", a, VALUE)], [("b", b, VALUE)]


def changes(*, same_form: bool) -> Callable[[Figures], Iterator]:
    """A change stated twice: in one form (two amounts, or two percentages), or as an amount
    whose implied percentage is checked against a stated one."""

    def find(figures: Figures) -> Iterator:
        groups = defaultdict(list)  # (figure, aspect, level it ended at), by what changed
        for f in figures.all:
            if f.indicator.slug == NET_ADDED:  # a capacity's net addition is a row of its own
                level, aspects = figures.first(f.product, CAPACITY, f.year, f.breakdown), [VALUE]
            else:
                level, aspects = f, [a for a in (ABS, PCT) if printed_number(f, a)[0]]
            if level and aspects:
                key = (f.product.pk, level.indicator.slug, f.breakdown, f.year)
                groups[key] += [(f, aspect, level) for aspect in aspects]
        for s, t in (
            pair for group in groups.values() for pair in itertools.combinations(group, 2)
        ):
            both_added = s[0].indicator.slug == t[0].indicator.slug == NET_ADDED
            if s[0] is t[0] or both_added or ((s[1] == PCT) == (t[1] == PCT)) != same_form:
                continue  # one row's two forms; two net additions are restated figures
            if same_form:
                yield t[0], [("a", s[0], s[1])], [("b", t[0], t[1])]
            else:
                (change, aspect, level), stated = (t, s[0]) if s[1] == PCT else (s, t[0])
                terms = [("level", level, VALUE), ("change", change, aspect)]
                yield stated, terms, [("stated", stated, PCT)]

    return find


def same_year(stated: str, *, variants: tuple = (), **inputs: str) -> Callable:
    """A product's stated figure against its other figures of the year. An indicator in
    `variants` may be its only variant's when the product has none of its own."""

    def find(figures: Figures) -> Iterator:
        for product, year in dict.fromkeys((f.product, f.year) for f in figures.all):
            found = {}
            for role, slug in inputs.items():
                found[role] = figures.first(product, slug, year)
                if not found[role] and slug in variants:
                    only = figures.in_variants(product, slug, year)
                    found[role] = only[0] if len(only) == 1 else None
            if (subject := figures.first(product, stated, year)) and all(found.values()):
                terms = [(role, f, VALUE) for role, f in found.items()]
                yield subject, terms, [("stated", subject, VALUE)]

    return find


def parts(*, previous: bool) -> Callable:
    """A total against the sum of its variants' figures; with `previous`, the year before's,
    from each one's rate of change."""
    roles = {"value": VALUE, "pct": PCT} if previous else {"value": VALUE}

    def find(figures: Figures) -> Iterator:
        for total in figures.all:
            key = (total.indicator.slug, total.year, total.breakdown)
            found = figures.in_variants(total.product, *key)
            if len(found) < 2 or total is not figures.first(total.product, *key):
                continue
            if all(printed_number(f, a)[0] for f in [total, *found] for a in roles.values()):
                terms = [(role, f, aspect) for f in found for role, aspect in roles.items()]
                yield total, terms, [(role, total, aspect) for role, aspect in roles.items()]

    return find


def route_shares(figures: Figures) -> Iterator:
    groups = defaultdict(list)
    for f in figures.of(ROUTE_SHARE):
        if f.breakdown:
            groups[(f.product.pk, f.year)].append(f)
    for shares in groups.values():
        if len(shares) > 1:
            yield shares[0], [("value", f, VALUE) for f in shares], []


def net_added(figures: Figures) -> Iterator:
    for f in figures.of(NET_ADDED):
        if capacity := figures.first(f.product, CAPACITY, f.year, f.breakdown):
            yield f, [("capacity", capacity, VALUE), ("added", f, VALUE)], []


def changed(aspect: str, role: str) -> Callable:
    """Each level with a change printed beside it in this form."""

    def find(figures: Figures) -> Iterator:
        for f in figures.all:
            if f.indicator.slug != NET_ADDED and printed_number(f, aspect)[0]:
                yield f, [("value", f, VALUE), (role, f, aspect)], []

    return find


def growth(figures: Figures) -> Iterator:
    groups = defaultdict(dict)
    for f in figures.of(AVERAGE_CAPACITY):
        groups[(f.product.pk, f.breakdown)].setdefault(f.year, f)
    for by_year in groups.values():
        for old, new in itertools.pairwise(sorted(by_year)):
            yield by_year[new], [("old", by_year[old], VALUE), ("new", by_year[new], VALUE)], []


def beside(find: Callable[[Figures], Iterator]) -> Callable[[Figures], Iterator]:
    """A finder's matches shown beside their figure without checking it against them."""

    def shown(figures: Figures) -> Iterator:
        for subject, inputs, _stated in find(figures):
            yield subject, inputs, []

    return shown


def route_capacities(figures: Figures) -> Iterator:
    for f in figures.of(ROUTE_SHARE):
        if f.breakdown and (capacity := figures.first(f.product, CAPACITY, f.year)):
            yield f, [("capacity", capacity, VALUE), ("share", f, VALUE)], []


@dataclass(frozen=True)
class Rule:
    """A derivation: the figures it takes and the formula it computes from them; for a check,
    `against` gives what the article states instead (a formula over the stated terms, or a
    constant). `summed`: the formula applies to each part, and the parts add up. In the first
    input's unit unless `unit` says otherwise."""

    check: str  # the kind of derivation: pages and charts ask for it by this name
    find: Callable[[Figures], Iterable]
    formula: Callable[..., Decimal]
    against: Callable[..., Decimal] | Decimal = same
    unit: str = ""
    summed: bool = False


# In the order pages list them: checks, then what is derived beside a single figure. Their
# words are in industry/templatetags/industry_text.py.
RULES = {
    "restated": Rule("restated", restated, same),
    "change": Rule("change", changes(same_form=True), same),
    "change-rate": Rule("change", changes(same_form=False), pct_from_abs, unit="%"),
    "utilisation": Rule(
        "utilisation",
        same_year(OPERATING_RATE, output=OUTPUT, capacity=CAPACITY),
        utilisation,
        unit="%",
    ),
    # The article does not define 开工率: the check above uses year-end capacity; this shows
    # what the mean of the two years' year-end capacities gives, beside it (not a check).
    "utilisation-average": Rule(
        "utilisation-average",
        beside(same_year(OPERATING_RATE, output=OUTPUT, capacity=CAPACITY, added=NET_ADDED)),
        utilisation_of_average,
        unit="%",
    ),
    "consumption": Rule(
        "consumption",
        same_year(CONSUMPTION, output=OUTPUT, imports=IMPORTS, exports=EXPORTS, variants=TRADE),
        apparent_consumption,
    ),
    "average": Rule(
        "average", same_year(AVERAGE_CAPACITY, capacity=CAPACITY, count=ENTERPRISES), average
    ),
    "parts": Rule("parts", parts(previous=False), same, summed=True),
    "parts-previous": Rule(
        "parts-previous",
        parts(previous=True),
        previous_from_pct,
        against=previous_from_pct,
        summed=True,
    ),
    "shares": Rule("shares", route_shares, same, against=HUNDRED, unit="%", summed=True),
    "previous-net": Rule("previous", net_added, previous_from_abs),
    "pct-net": Rule("pct-from-abs", net_added, pct_from_abs, unit="%"),
    "previous-pct": Rule("previous", changed(PCT, "pct"), previous_from_pct),
    "abs-from-pct": Rule("abs-from-pct", changed(PCT, "pct"), abs_from_pct),
    "previous-abs": Rule("previous", changed(ABS, "change"), previous_from_abs),
    "pct-from-abs": Rule("pct-from-abs", changed(ABS, "change"), pct_from_abs, unit="%"),
    "growth": Rule("growth", growth, pct_change, unit="%"),
    "route-capacity": Rule("route-capacity", route_capacities, share_of),
}

Term = tuple[str, int, str]  # (role, figure number, aspect)


@dataclass(frozen=True)
class Derivation:
    """A figure computed from stated ones, and what the article states instead if it does;
    numbers only, so that it can be cached."""

    rule: str
    subject: int  # the figure beside which it is shown
    inputs: tuple[Term, ...]
    against: tuple[Term, ...]
    value: Decimal
    interval: Interval
    unit: str
    stated: Interval | None = None
    stated_text: str = ""

    @property
    def check(self) -> str:
        return RULES[self.rule].check

    @property
    def is_check(self) -> bool:
        return self.stated is not None

    @property
    def agrees(self) -> bool | None:
        return None if self.stated is None else self.interval.overlaps(self.stated)

    @property
    def numbers(self) -> list[int]:
        """The figures involved."""
        return sorted({self.subject, *(n for _r, n, _a in self.inputs + self.against)})

    @property
    def anchor(self) -> str:
        return f"{self.check}-" + "-".join(str(n) for n in self.numbers)


def evaluate(key: str, subject, inputs: list, against: list) -> Derivation | None:
    """The rule on these terms; None when the figures make its formula meaningless."""
    rule = RULES[key]
    if rule.summed:  # a sum's extremes are the sums of its parts' extremes: no 2^n corners
        results = [outcome(rule.formula, part) for part in by_figure(inputs)]
        value = sum((v for v, _i in results), Decimal(0))
        interval = sum((i for _v, i in results), Interval(Decimal(0), Decimal(0)))
    else:
        value, interval = outcome(rule.formula, inputs)
    stated, stated_text = None, ""
    if against:
        stated = outcome(rule.against, against)[1]
        stated_text = "，".join(as_printed(f, aspect) for _r, f, aspect in against)
    elif isinstance(rule.against, Decimal):
        stated, stated_text = Interval(rule.against, rule.against), f"{rule.against}{rule.unit}"
    numbers = [value, interval.lo, interval.hi, *([stated.lo, stated.hi] if stated else [])]
    if not all(n.is_finite() for n in numbers):
        return None
    first = inputs[0]
    return Derivation(
        rule=key,
        subject=subject.number,
        inputs=tuple((role, f.number, aspect) for role, f, aspect in inputs),
        against=tuple((role, f.number, aspect) for role, f, aspect in against),
        value=value,
        interval=interval,
        unit=rule.unit or ("%" if first[2] == PCT else first[1].unit),
        stated=stated,
        stated_text=stated_text,
    )


class Analysis:
    """Every derivation and check the given figures allow, indexed by figure. An article's
    figures are only checked against each other."""

    def __init__(self, figures: Iterable):
        self.figures = sorted(figures, key=lambda f: f.number)
        self.by_number = {f.number: f for f in self.figures}
        articles = defaultdict(list)
        for figure in self.figures:
            articles[figure.section.article_id].append(figure)  # the paragraph's section
        # Figures an editor enters can make a formula meaningless (a capacity equal to its
        # own net addition divides by zero): such a derivation is left out, not a crash.
        with decimal.localcontext() as context:
            context.traps[decimal.DivisionByZero] = False
            context.traps[decimal.InvalidOperation] = False
            found = [
                evaluate(key, *match)
                for group in map(Figures, articles.values())
                for key, rule in RULES.items()
                for match in rule.find(group)
            ]
        self.derivations = [d for d in found if d]
        self.checks = [d for d in self.derivations if d.is_check]
        self.disagreements = [d for d in self.checks if not d.agrees]
        self.agreements = [d for d in self.checks if d.agrees]
        self.flagged_numbers = {n for d in self.disagreements for n in d.numbers}
        # Beside a figure: what is derived for it, then the disagreements it is part of.
        self._shown = defaultdict(list)
        for d in self.derivations:
            self._shown[d.subject].append(d)
        for d in self.disagreements:
            for number in d.numbers:
                if number != d.subject:
                    self._shown[number].append(d)

    def for_figure(self, figure) -> list[Derivation]:
        return self._shown.get(figure.number, [])

    def fed_by(self, figure) -> list[Derivation]:
        """Every check and derivation that takes this figure but is shown beside another
        (a figure's page lists them all, not only those beside it)."""
        shown = self.for_figure(figure)
        return [
            d
            for d in self.derivations
            if figure.number in d.numbers and d.subject != figure.number and d not in shown
        ]

    def derived(self, figure, check: str) -> Derivation | None:
        shown = self.for_figure(figure)
        return next((d for d in shown if d.subject == figure.number and d.check == check), None)
