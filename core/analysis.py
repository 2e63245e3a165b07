"""How Chinese text is cut into searchable tokens, how a query is read, and how a hit's
snippet is marked. Plain Python: the databases index what this produces (see core.search).

Neither database splits Chinese into words, and trigram indexes cannot match the
two-character words most Chinese words are. So, as Lucene's CJKAnalyzer does, text is
analysed into tokens: every run of Chinese characters becomes its overlapping bigrams
(信贷支持 -> 信贷 贷支 支持), a lone character stays itself, Latin words are lowercased and
numbers kept. After the bigram stream each field also holds the text's single characters
(behind a separator token), so that one-character queries find their character too.

A query is analysed the same way and matched as a phrase, so a word of any length
behaves like a substring search.
"""

import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.text import HAN, HAN_CHARACTER

_RUNS = re.compile(rf"[{HAN}]+|[A-Za-z0-9]+")
# Keeps single characters from forming a phrase with the bigrams before them.
SEPARATOR = "zzsepzz"
MAX_QUERY_LENGTH = 500
SNIPPET_CHARS = 90


def _runs(text: str) -> list[str]:
    return _RUNS.findall(text or "")


def _is_han(run: str) -> bool:
    return bool(HAN_CHARACTER.match(run))


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def analyze(text: str) -> str:
    """The token stream stored for a field: bigrams and words, then single characters."""
    tokens, chars = [], []
    for run in _runs(text):
        if _is_han(run):
            tokens.extend(_bigrams(run))
            chars.extend(run)
        else:
            tokens.append(run.lower())
    if chars:
        tokens.append(SEPARATOR)
        tokens.extend(chars)
    return " ".join(tokens)


@dataclass(frozen=True)
class Query:
    """An analysed query: a phrase of tokens that must occur in order, and single
    Chinese characters that must occur somewhere (a lone character next to other words
    cannot be part of the phrase: stored text has it only inside a bigram)."""

    phrase: tuple[str, ...]
    chars: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> "Query":
        runs = _runs((text or "")[:MAX_QUERY_LENGTH])
        if len(runs) == 1 and len(runs[0]) == 1:  # one character: search for it alone
            return cls((runs[0].lower(),), ())
        phrase, chars = [], []
        for run in runs:
            if not _is_han(run):
                phrase.append(run.lower())
            elif len(run) == 1:
                chars.append(run)
            else:
                phrase.extend(_bigrams(run))
        return cls(tuple(phrase), tuple(chars))

    def __bool__(self) -> bool:
        return bool(self.phrase or self.chars)

    # Tokens contain only letters, digits and Chinese characters (see _RUNS), so
    # quoting them cannot let user input become query syntax on either database.
    def fts5(self, column: str | None = None) -> str:
        prefix = f"{column} : " if column else ""
        parts = [f'{prefix}"{" ".join(self.phrase)}"'] if self.phrase else []
        parts += [f'{prefix}"{char}"' for char in self.chars]
        return " AND ".join(parts)

    def tsquery(self) -> str:
        """Every token, anywhere: what PostgreSQL's GIN index answers exactly (without
        positions or weights it need not re-read a row); `needles` then checks the order."""
        return " & ".join(f"'{token}'" for token in self.tokens())

    def tokens(self) -> list[str]:
        """The distinct tokens, phrase first."""
        return list(dict.fromkeys([*self.phrase, *self.chars]))

    def needles(self) -> list[str]:
        """What a stored token stream (with a space added at each end) must contain: the
        phrase's tokens next to each other, and each lone character as a token of its own."""
        groups = [self.phrase] if self.phrase else []
        groups += [(char,) for char in self.chars]
        return [f" {' '.join(group)} " for group in groups]


def highlight_terms(text: str) -> list[str]:
    """The pieces of a query to mark in snippets: its Chinese runs and Latin words."""
    return [t for t in _runs(text[:MAX_QUERY_LENGTH]) if t]


def snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> SafeString:
    """A short excerpt around the first match, every match wrapped in <mark>; the text
    is escaped first, so nothing stored or typed becomes markup."""
    pattern = (
        re.compile(
            "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE
        )
        if terms
        else None
    )
    first = pattern.search(text) if pattern else None
    start = max((first.start() if first else 0) - width // 3, 0)
    excerpt = text[start : start + width]
    prefix, suffix = ("…" if start else ""), ("…" if start + width < len(text) else "")
    if not pattern:
        return mark_safe(escape(prefix + excerpt + suffix))
    parts, position = [], 0
    for found in pattern.finditer(excerpt):
        parts.append(escape(excerpt[position : found.start()]))
        parts.append(f"<mark>{escape(found.group())}</mark>")
        position = found.end()
    parts.append(escape(excerpt[position:]))
    return mark_safe(escape(prefix) + "".join(parts) + escape(suffix))  # noqa: S308 - every part escaped above
