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
from functools import lru_cache

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


def stem(word: str) -> str:
    """An English word without its plural ending (Harman's "S" stemmer: rents -> rent,
    policies -> policy, donations -> donation), so that a singular finds a plural and the
    other way round. Digits and short words stay as they are."""
    word = word.lower()
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def analyze(text: str) -> str:
    """The token stream stored for a field: bigrams and words, then single characters."""
    tokens, chars = [], []
    for run in _runs(text):
        if _is_han(run):
            tokens.extend(_bigrams(run))
            chars.extend(run)
        else:
            tokens.append(stem(run))
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
            return cls((stem(runs[0]),), ())
        phrase, chars = [], []
        for run in runs:
            if not _is_han(run):
                phrase.append(stem(run))
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


# Quoted text is one exact phrase: "...", “...”, 「...」 or 『...』.
_QUOTED = re.compile(r'"([^"]*)"|“([^”]*)”|「([^」]*)」|『([^』]*)』')
_WORD_BREAK = re.compile(rf"[^{HAN}A-Za-z0-9]+")


@dataclass(frozen=True)
class Word:
    """One word of a search as the user typed it, and the other names searched for it."""

    text: str
    exact: bool = False  # typed in quotes: this phrase only, no other names
    alternatives: tuple[str, ...] = ()

    @property
    def queries(self) -> list[Query]:
        """The word and each of its other names, analysed; a record has the word when it
        has any of them. A quoted phrase is found as typed, Chinese without spaces."""
        if self.exact:
            return [query] if (query := Query.parse(glue(self.text.split()))) else []
        found = [Query.parse(text) for text in (self.text, *self.alternatives)]
        return [query for query in found if query]

    def fts5(self) -> str:
        return "(" + " OR ".join(f"({query.fts5()})" for query in self.queries) + ")"

    def tsquery(self) -> str:
        return "(" + " | ".join(f"({query.tsquery()})" for query in self.queries) + ")"


def split_words(text: str) -> list[tuple[str, bool]]:
    """(word, exact) for each word typed: split at spaces and punctuation, except inside
    quotes, which keep a phrase whole and exact."""
    text = (text or "")[:MAX_QUERY_LENGTH]
    words, position = [], 0

    def loose(part: str) -> list[tuple[str, bool]]:
        return [(word, False) for word in _WORD_BREAK.split(part) if word]

    for quoted in _QUOTED.finditer(text):
        words += loose(text[position : quoted.start()])
        phrase = next(group for group in quoted.groups() if group is not None).strip()
        if Query.parse(phrase):
            words.append((phrase, True))
        position = quoted.end()
    return words + loose(text[position:])


def glue(parts: list[str]) -> str:
    """Words written as one text: Chinese next to Chinese without a space (as the source
    writes it), anything else with one."""
    text = ""
    for part in parts:
        space = "" if text and _is_han(text[-1]) and _is_han(part[0]) else " "
        text = f"{text}{space}{part}" if text else part
    return text


def term_key(text: str) -> str:
    return " ".join(stem(run) for run in _runs(text))


@dataclass(frozen=True)
class Search:
    """What the user asked for: records holding every word, in any order, anywhere in
    their searchable text; each word may be found under another name (an equivalent
    term, see core.models.EquivalentTerms)."""

    words: tuple[Word, ...]

    @classmethod
    def parse(cls, text: str, equivalents: dict[str, list[str]] | None = None) -> "Search":
        """`equivalents` maps a term's key (see `term_key`) to its other names."""
        equivalents = equivalents or {}
        typed = split_words(text)
        words, index = [], 0
        while index < len(typed):
            end = index + 1
            # The longest run of loose words that is a known term ("caustic soda") is one word.
            for candidate in range(len(typed), index + 1, -1):
                run = typed[index:candidate]
                joined = " ".join(word for word, _exact in run)
                if not any(exact for _word, exact in run) and term_key(joined) in equivalents:
                    end = candidate
                    break
            run = typed[index:end]
            joined = " ".join(word for word, _exact in run)
            exact = len(run) == 1 and run[0][1]
            others = () if exact else tuple(equivalents.get(term_key(joined), ()))
            words.append(Word(joined, exact, others))
            index = end
        return cls(tuple(word for word in words if word.queries))

    def __bool__(self) -> bool:
        return bool(self.words)

    @property
    def text(self) -> str:
        return " ".join(f'"{w.text}"' if w.exact else w.text for w in self.words)

    def without(self, index: int) -> str:
        """The query as text, without one of its words (offered when that word finds nothing)."""
        return Search(self.words[:index] + self.words[index + 1 :]).text

    def only(self, index: int) -> "Search":
        return Search((self.words[index],))

    @property
    def together(self) -> Query | None:
        """All the words next to each other, as typed (ranked first when found so)."""
        if len(self.words) < 2:
            return None
        return Query.parse(glue([word.text for word in self.words]))

    @property
    def expanded(self) -> list[tuple[str, tuple[str, ...]]]:
        """(word, its other names) for the words that have any, for the results page."""
        return [(word.text, word.alternatives) for word in self.words if word.alternatives]

    def fts5(self) -> str:
        return " AND ".join(word.fts5() for word in self.words)

    def tsquery(self) -> str:
        return " & ".join(word.tsquery() for word in self.words)

    def surface_forms(self) -> list[list[str]]:
        """For each word, the strings that show it in a text (the word and its other names;
        English words by their stem, so that a plural is marked too)."""
        return [[text for text in (w.text, *w.alternatives) if _runs(text)] for w in self.words]


def _english(word: str) -> str:
    """A Latin word or number as a regular expression that also finds its plural."""
    base = stem(word)
    variants = {base, base + "s", base + "es"}
    if base.endswith("y"):
        variants.add(base[:-1] + "ies")
    alternatives = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
    return rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])"


def _pattern(forms: list[str]) -> re.Pattern | None:
    """A regular expression that finds any of the forms in a text: Chinese as typed (with
    anything but Han characters, letters and digits allowed between its runs), English by
    stem, in any case."""
    return _compiled(tuple(forms))


@lru_cache(maxsize=512)  # a list page asks for the same words' pattern for every row
def _compiled(forms: tuple[str, ...]) -> re.Pattern | None:
    parts = []
    for form in sorted(set(forms), key=len, reverse=True):
        runs = _runs(form)
        if not runs:
            continue
        pieces = [re.escape(run) if _is_han(run) else _english(run) for run in runs]
        parts.append(rf"(?:{f'[^{HAN}A-Za-z0-9]*'.join(pieces)})")
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def missing_words(text: str, search: "Search | None") -> list[str]:
    """The words of the search (as typed) that do not show in the text under any of their
    names."""
    if not search:
        return []
    return [
        word.text
        for word, forms in zip(search.words, search.surface_forms(), strict=True)
        if (pattern := _pattern(forms)) and not pattern.search(text or "")
    ]


SENTENCE = re.compile(r"[^。！？；!?;]*[。！？；!?;]?")


def sentences(text: str) -> list[str]:
    return [part for part in SENTENCE.findall(text or "") if part.strip()]


def best_sentence(text: str, search: "Search | None", width: int = SNIPPET_CHARS * 2) -> SafeString:
    """The sentence of `text` that holds the most of the searched words (the first one when
    none does), every word marked with <mark>, escaped; a long sentence is cut around its
    first mark."""
    word_patterns = [p for p in map(_pattern, search.surface_forms()) if p] if search else []
    candidates = sentences(text) or [text or ""]
    best = max(
        candidates,
        key=lambda sentence: sum(1 for pattern in word_patterns if pattern.search(sentence)),
    )
    return mark(
        best,
        [form for forms in (search.surface_forms() if search else []) for form in forms],
        width,
    )


def mark(text: str, forms: list[str], width: int = SNIPPET_CHARS) -> SafeString:
    """An excerpt of `text` around the first of the forms found, every one of them wrapped
    in <mark>; the text is escaped first, so nothing stored or typed becomes markup."""
    pattern = _pattern(forms)
    first = pattern.search(text) if pattern else None
    start = max((first.start() if first else 0) - width // 3, 0)
    excerpt = text[start : start + width]
    prefix, suffix = ("…" if start else ""), ("…" if start + width < len(text) else "")
    if not pattern:
        return mark_safe(escape(prefix + excerpt + suffix))
    parts, position = [], 0
    for found in pattern.finditer(excerpt):
        if found.end() == found.start():
            continue
        parts.append(escape(excerpt[position : found.start()]))
        parts.append(f"<mark>{escape(found.group())}</mark>")
        position = found.end()
    parts.append(escape(excerpt[position:]))
    return mark_safe(escape(prefix) + "".join(parts) + escape(suffix))  # noqa: S308 - every part escaped above
