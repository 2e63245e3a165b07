"""How well the article importer proposes the seed's figures: import the chlor-alkali
article's text from fixtures/source and compare the proposed figures with the 34 in
fixtures/industry.json (value, unit, product, indicator, period).

    .venv/bin/python bench/import_accuracy.py          # prints every figure and the scores

A proposed figure matches a stored one with the same value, unit and sentence; recall is
the share of the 34 stored figures matched, precision the share of the proposed ones
that match one. The targets (issue 13): recall on value and unit at least 90%, on product
and indicator at least 75%. tests/test_article_importer.py holds the importer to them.
"""

import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from industry.importer import ArticleProposal, Term, Vocabulary, propose_article  # noqa: E402
from tests.sourcetext import CARBIDE_TEXT, CHLOR_ALKALI_TEXT, source_part  # noqa: E402

FIXTURE = json.loads((ROOT / "fixtures" / "industry.json").read_text(encoding="utf-8"))


def records(model: str) -> list[dict]:
    return [r["fields"] for r in FIXTURE if r["model"] == f"industry.{model}"]


def fixture_vocabulary() -> Vocabulary:
    """The seed's vocabulary, read from the fixture (no database needed)."""

    def terms(model, described=False):
        return [
            Term(
                f["slug"],
                tuple(
                    [f["name"]]
                    + [a for a in f.get("aliases", "").split("、") if a]
                    + ([f["description"]] if described else [])
                ),
            )
            for f in records(model)
        ]

    return Vocabulary(terms("product"), terms("indicator"), terms("actionkind", described=True))


def stored_figures(article: str) -> list[dict]:
    return [f for f in records("figure") if f["paragraph"][0] == article]


@dataclass
class Score:
    stored: int
    proposed: int
    matched: int  # same value, unit and sentence
    product: int  # ... and the same product
    indicator: int
    product_and_indicator: int
    period: int  # ... and the same year and printed period
    change: int  # ... and the same stated change

    def share(self, n: int, of: int) -> float:
        return n / of if of else 0.0

    @property
    def recall(self) -> float:
        return self.share(self.matched, self.stored)

    @property
    def precision(self) -> float:
        return self.share(self.matched, self.proposed)

    def lines(self) -> list[str]:
        rows = [
            ("value and unit", self.matched),
            ("product", self.product),
            ("indicator", self.indicator),
            ("product and indicator", self.product_and_indicator),
            ("period (year and as printed)", self.period),
            ("stated change", self.change),
        ]
        return [
            f"recall on {name}: {n}/{self.stored} = {self.share(n, self.stored):.0%}"
            for name, n in rows
        ] + [f"precision: {self.matched}/{self.proposed} = {self.precision:.0%}"]


def score(proposal: ArticleProposal, stored: list[dict]) -> tuple[Score, list]:
    """The scores, and (stored, proposed or None) pairs in the fixture's order."""
    unmatched = list(proposal.figures)
    pairs = []
    for figure in stored:
        found = next(
            (
                p
                for p in unmatched
                if (p.value_text, p.unit, p.sentence)
                == (figure["value_text"], figure["unit"], figure["sentence"])
            ),
            None,
        )
        if found:
            unmatched.remove(found)
        pairs.append((figure, found))
    matched = [(f, p) for f, p in pairs if p]

    def count(test) -> int:
        return sum(1 for f, p in matched if test(f, p))

    same_product = lambda f, p: p.product == f["product"][0]  # noqa: E731
    same_indicator = lambda f, p: p.indicator == f["indicator"][0]  # noqa: E731
    return (
        Score(
            stored=len(stored),
            proposed=len(proposal.figures),
            matched=len(matched),
            product=count(same_product),
            indicator=count(same_indicator),
            product_and_indicator=count(lambda f, p: same_product(f, p) and same_indicator(f, p)),
            period=count(lambda f, p: (p.year, p.period_text) == (f["year"], f["period_text"])),
            change=count(
                lambda f, p: (
                    (p.change_direction, p.change_abs_text, p.change_pct_text)
                    == (f["change_direction"], f["change_abs_text"], f["change_pct_text"])
                )
            ),
        ),
        pairs,
    )


def chlor_alkali() -> tuple[ArticleProposal, Score, list]:
    proposal = propose_article(source_part(*CHLOR_ALKALI_TEXT), fixture_vocabulary())
    return proposal, *score(proposal, stored_figures("chlor-alkali-2019"))


def main() -> None:
    proposal, result, pairs = chlor_alkali()
    print(f"{proposal.title}: {len(proposal.figures)} figures proposed\n")
    print("#   stored                                         proposed")
    for number, (stored, proposed) in enumerate(pairs, start=1):
        want = f"{stored['value_text']}{stored['unit']} {stored['product'][0]}/{stored['indicator'][0]} {stored['year']}"
        got = (
            f"{proposed.printed} {proposed.product or '?'}/{proposed.indicator or '?'} {proposed.year}"
            if proposed
            else "(not proposed)"
        )
        print(f"{number:<3} {want:<46} {got}")
    extra = [p for p in proposal.figures if all(p is not q for _s, q in pairs)]
    for p in extra:
        print(f"    (not in the fixture) {p.printed} in “{p.sentence[:30]}…”")
    print()
    print("\n".join(result.lines()))

    carbide = propose_article(source_part(*CARBIDE_TEXT), fixture_vocabulary())
    stored = [a for a in records("action") if a["quantity_text"]]
    proposed = {(a.company, a.quantity_text, a.unit) for a in carbide.actions}
    found = sum(
        1
        for a in stored
        if any((a["quantity_text"], a["unit"]) == (text, unit) for _c, text, unit in proposed)
    )
    print(
        f"\n{carbide.title}: {len(carbide.actions)} action quantities proposed "
        f"({', '.join(a.printed for a in carbide.actions)}); "
        f"{found}/{len(stored)} of the fixture's quantities found"
    )


if __name__ == "__main__":
    main()
