"""An industry article's text read into a proposal: its column, title and author, its
sections and paragraphs verbatim, and the figures and company actions it states, each a
proposal for an editor to accept, correct or reject.

Plain Python, no request: the entry point `propose_article(text, vocabulary)` reads text
only; `Vocabulary.from_database()` is the one reader of the database, for callers.

How a figure is proposed, clause by clause (a clause ends at ，；。):

- every number with a unit (万吨, 家, %, 万元, 吨) is a figure, unless the words before it
  in its clause state a change (增长, 同比下降 …): then it is the change of the figure before
  it (同比增加2.8%), except that an absolute change of a level whose indicator has a
  "-net-added" partner in the vocabulary is a row of its own (比2018年增长约120万吨 is
  产能净增), as the knowledge base records capacity;
- the product is the vocabulary's name or alias nearest before the number in its sentence
  (a name followed by 法 names a process, 电石法, not the product), else the one the
  paragraph's figure before it had;
- the indicator is the name or alias nearest before the number in its clause;
- the period is the time phrase (2019年底, 当前, 2013年) nearest before the number in its
  sentence (not a comparison's base, 比2018年); the year is the period's, else the year the
  article's title names.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from core.importing import (
    FULL_LINE,
    Block,
    Line,
    Unreadable,
    blocks,
    check_text,
    chinese_to_int,
    display_width,
    source_lines,
    wrap_width,
)

NUMERAL = "一二三四五六七八九十"
TOP_HEADING = re.compile(rf"^(?P<n>[{NUMERAL}]+)、\s*(?P<title>.+)$")
SUB_HEADING = re.compile(r"^(?P<n>\d{1,2})\s*、\s*(?P<title>.+)$")
EDITOR_NOTE = re.compile(r"^编者按\s*[：:]\s*(?P<rest>.*)$")
# A company's story: 陕西北元化工：积极捐赠消毒用品 勇于担当社会责任
STORY = re.compile(r"^(?P<company>[^\s，。；：！？、]{2,20})：(?P<rest>[^，。；！？、]{2,40})$")
AUTHOR = re.compile(
    r"^[\u4e00-\u9fff（）()]{2,30}(协会|学会|研究院|研究所|研究中心|公司|集团|委员会|联合会|商会|中心)$"
)
INLINE_SUB_HEADING = re.compile(r"(?<=[。！？])\s*(?=(?P<n>\d{1,2})\s*、)")
COLUMNS = ("行业资讯", "抗击疫情")

FIGURE = re.compile(r"(?P<approx>约|近)?(?P<value>\d+(?:\.\d+)?)(?P<unit>万吨|万元|吨|家|%)")
ACTION_QUANTITY = re.compile(
    rf"(?P<qualifier>首批|近|约|超过|逾)?(?P<value>\d+(?:\.\d+)?|[两{NUMERAL}百千万]+)"
    r"(?P<unit>万元|亿元|元|吨|名|列|台|套|件|箱|辆)"
)
CHANGE = re.compile(
    r"(?P<phrase>(?:同比|比\d{4}年|较上年)?(?:小幅|大幅)?(?<!净)"
    r"(?P<verb>增长|增加|上升|提高|下降|减少|下滑|回落)了?(?:约|近)?)$"
)
UP_VERBS = ("增长", "增加", "上升", "提高")
PERIOD = re.compile(r"(?<!比)(?:\d{4}年(?:底|末|初|上半年|下半年)?|\d{4}上半年|目前|当前)")
BASIS = re.compile(r"^据(?P<basis>[^，。]{1,12}?)(?:数据)?显示")
CLAUSE_END = "，；。！？"
NET_ADDED = "-net-added"
ACTION_VERBS = ("捐赠", "捐资", "捐款", "生产", "提供", "安排", "发放", "捐")
MONEY = ("元", "万元", "亿元")
ITEM_STOPS = re.compile(r"[，。；、：]|已|将|投入|助力|用于|为|向|对|开始")


@dataclass(frozen=True)
class Term:
    slug: str
    names: tuple[str, ...]  # the name, then the aliases


@dataclass
class Vocabulary:
    products: list[Term] = field(default_factory=list)
    indicators: list[Term] = field(default_factory=list)
    action_kinds: list[Term] = field(default_factory=list)

    @classmethod
    def from_database(cls) -> "Vocabulary":
        # Imported here, so that the importer itself runs on plain text without Django
        # set up (bench/import_accuracy.py, the tests).
        from industry.models import ActionKind, Indicator, Product

        def terms(model, with_aliases=True, extra=None):
            found = []
            for obj in model.objects.all():
                names = [obj.name]
                if with_aliases:
                    names += [a.strip() for a in obj.aliases.split("、") if a.strip()]
                if extra:
                    names += extra(obj)
                found.append(Term(obj.slug, tuple(names)))
            return found

        return cls(
            terms(Product),
            terms(Indicator),
            terms(ActionKind, with_aliases=False, extra=lambda k: [k.description]),
        )


@dataclass
class Problem:
    message: str
    line: int | None = None


@dataclass
class ProposedParagraph:
    position: int
    text: str
    lines: list[int] = field(default_factory=list)


@dataclass
class ProposedSection:
    position: int
    kind: str  # as Section.Kind: lead, heading, editor-note, story
    number: str
    heading: str
    anchor: str
    parent: int | None = None  # the position of its parent section
    paragraphs: list[ProposedParagraph] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    company: str = ""  # a story's company, as its heading names it

    @property
    def printed_heading(self) -> str:
        return f"{self.number}{self.heading}{'：' if self.kind == 'editor-note' else ''}"


@dataclass
class ProposedFigure:
    section: int  # position of its section
    paragraph: int  # position of its paragraph in the section
    sentence: str
    value_text: str
    unit: str
    is_approximate: bool = False
    product: str = ""  # slug, "" when not guessed
    indicator: str = ""
    breakdown: str = ""
    year: int | None = None
    period_text: str = ""
    change_direction: str = ""
    change_abs_text: str = ""
    change_pct_text: str = ""
    change_is_approximate: bool = False
    change_as_printed: str = ""
    basis: str = ""

    @property
    def printed(self) -> str:
        return f"{'约' if self.is_approximate else ''}{self.value_text}{self.unit}"


@dataclass
class ProposedAction:
    section: int
    paragraph: int
    company: str
    sentence: str
    quantity_qualifier: str
    quantity_text: str
    quantity: Decimal | None
    unit: str
    item: str = ""
    kind: str = ""  # slug of the guessed kind

    @property
    def printed(self) -> str:
        return f"{self.quantity_qualifier}{self.quantity_text}{self.unit}"


@dataclass
class ArticleProposal:
    lines: list[Line]
    column: str = ""
    title: str = ""
    author: str = ""
    sections: list[ProposedSection] = field(default_factory=list)
    figures: list[ProposedFigure] = field(default_factory=list)
    actions: list[ProposedAction] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    roles: dict[int, str] = field(default_factory=dict)

    @property
    def unparsed(self) -> list[Line]:
        return [line for line in self.lines if line.number not in self.roles]

    @property
    def year(self) -> int | None:
        """The year the title names (2019年中国氯碱行业……), for figures whose sentence
        names none (目前, 当前)."""
        years = re.findall(r"(\d{4})年", self.title)
        return int(years[0]) if years else None

    def warn(self, message: str, line: int | None = None) -> None:
        self.warnings.append(Problem(message, line))

    def mark(self, lines: list[int], role: str) -> None:
        for number in lines:
            self.roles[number] = role


def classify(text: str) -> str | None:
    if text in COLUMNS or AUTHOR.match(text):
        return "line"
    if TOP_HEADING.match(text) or SUB_HEADING.match(text) or STORY.match(text):
        return "heading"
    if EDITOR_NOTE.match(text):
        return "item"
    return None


def propose_article(text: str, vocabulary: Vocabulary | None = None) -> ArticleProposal:
    """Read an article's text. Raises Unreadable when there is no article in it."""
    check_text(text)
    vocabulary = vocabulary or Vocabulary()
    proposal = ArticleProposal(source_lines(text))
    lines = split_inline_headings(proposal, proposal.lines)
    found = blocks(lines, classify)
    body = read_header(proposal, found)
    read_sections(proposal, body)
    if not proposal.title or not any(s.paragraphs for s in proposal.sections):
        raise Unreadable(
            "没有认出文章的结构：找不到标题和正文段落。请确认粘贴的是文章的全文（标题、作者单位、正文）。"
        )
    if not proposal.author:
        proposal.warn("没有找到作者单位（标题下一行的协会、公司等）：请在预览中填写。")
    for section in proposal.sections:
        for paragraph in section.paragraphs:
            if section.kind == "story":
                propose_actions(proposal, section, paragraph, vocabulary)
            else:
                propose_figures(proposal, section, paragraph, vocabulary)
    return proposal


def split_inline_headings(proposal: ArticleProposal, lines: list[Line]) -> list[Line]:
    """A numbered heading that the layout ran onto the end of a paragraph (……较高水平。3、
    烧碱市场……) is split off when its number is the next one expected; the rest of its
    line is wrapped text, as the line was."""
    width = wrap_width(lines)
    result: list[Line] = []
    last = 0
    for line in lines:
        if TOP_HEADING.match(line.text):
            last = 0
        elif m := SUB_HEADING.match(line.text):
            last = int(m["n"])
        else:
            split = next(
                (m for m in INLINE_SUB_HEADING.finditer(line.text) if int(m["n"]) == last + 1),
                None,
            )
            if split and split.start() > 0:
                head, tail = line.text[: split.start()], line.text[split.start() :].strip()
                # The tail carries on as far as the layout's line did.
                full = width is not None and display_width(line.text) >= width * FULL_LINE
                result += [Line(line.number, head, False), Line(line.number, tail, full)]
                last = int(split["n"])
                proposal.warn(
                    f"第{line.number}行：标题“{tail[:12]}……”接在上一段末尾，已分出作为标题。",
                    line.number,
                )
                continue
        result.append(line)
    return result


def read_header(proposal: ArticleProposal, found: list[Block]) -> list[Block]:
    """Column, title and author; returns the blocks of the body."""
    rest = list(found)
    if rest and rest[0].text in COLUMNS:
        proposal.column = rest[0].text
        proposal.mark(rest[0].lines, "栏目")
        rest = rest[1:]
    if rest and rest[0].kind == "text" and rest[0].text[-1:] not in "。！？：":
        proposal.title = rest[0].text
        proposal.mark(rest[0].lines, "标题")
        rest = rest[1:]
    if rest and AUTHOR.match(rest[0].text):
        proposal.author = rest[0].text
        proposal.mark(rest[0].lines, "作者单位")
        rest = rest[1:]
    return rest


def read_sections(proposal: ArticleProposal, body: list[Block]) -> None:
    top: ProposedSection | None = None
    current: ProposedSection | None = None
    anchors: Counter = Counter()

    def add(kind, number, heading, anchor, lines, parent=None, company=""):
        anchors[anchor] += 1
        if anchors[anchor] > 1:
            anchor += "bcdefghij"[anchors[anchor] - 2]
        section = ProposedSection(
            len(proposal.sections) + 1, kind, number, heading, anchor, parent, [], lines, company
        )
        proposal.sections.append(section)
        return section

    for block in body:
        text = block.text
        if m := TOP_HEADING.match(text):
            n = chinese_to_int(m["n"])
            tops = [s for s in proposal.sections if s.parent is None and s.kind == "heading"]
            check_number(proposal, [chinese_to_int(s.number[:-1]) for s in tops], n, block, m["n"])
            top = current = add("heading", f"{m['n']}、", m["title"], f"s{n}", block.lines)
            proposal.mark(block.lines, f"标题 {m['n']}、")
        elif m := SUB_HEADING.match(text):
            n = int(m["n"])
            siblings = [s for s in proposal.sections if top and s.parent == top.position]
            check_number(proposal, [int(s.number[:-1]) for s in siblings], n, block, f"{n}")
            prefix = top.anchor if top else "s"
            current = add(
                "heading",
                f"{n}、",
                m["title"],
                f"{prefix}-{n}",
                block.lines,
                top.position if top else None,
            )
            proposal.mark(block.lines, f"小标题 {n}、")
        elif m := EDITOR_NOTE.match(text):
            current = add("editor-note", "", "编者按", "editor-note", block.lines)
            paragraph(proposal, current, m["rest"], block)
        elif m := STORY.match(text):
            top = None
            current = add("story", "", text, f"story-{len(proposal.sections) + 1}", block.lines)
            current.company = m["company"]
            proposal.mark(block.lines, f"企业：{m['company']}")
        elif block.kind == "text":
            if current is None:
                current = add("lead", "", "", "lead", [])
            paragraph(proposal, current, text, block)
        else:
            proposal.warn(
                f"第{block.lines[0]}行：“{text[:12]}”出现在正文中，未能归类。", block.lines[0]
            )


def paragraph(proposal, section: ProposedSection, text: str, block: Block) -> None:
    position = len(section.paragraphs) + 1
    section.paragraphs.append(ProposedParagraph(position, text, block.lines))
    proposal.mark(block.lines, f"{section.number or section.heading[:6]} 第{position}段")


def check_number(proposal, previous: list, number: int, block: Block, printed: str) -> None:
    expected = (previous[-1] if previous else 0) + 1
    if number in previous:
        proposal.warn(
            f"第{block.lines[0]}行：编号“{printed}、”与前面重复（原文如此，已照录）。",
            block.lines[0],
        )
    elif number != expected:
        proposal.warn(
            f"第{block.lines[0]}行：编号“{printed}、”跳号，按次序应为 {expected}。", block.lines[0]
        )


# Figures


def sentences(text: str) -> list[str]:
    return re.findall(r"[^。！？]+[。！？]?", text)


def clause_start(sentence: str, at: int) -> int:
    return max(sentence.rfind(c, 0, at) for c in CLAUSE_END) + 1


def nearest(terms: list[Term], text: str, skip_process: bool = False) -> tuple[str, int]:
    """The term whose name ends nearest the end of `text` (the longest on a tie), and
    where its name starts; ("", -1) if none occurs."""
    best = ("", -1, -1, 0)  # slug, start, end, length
    for term in terms:
        for name in term.names:
            for m in re.finditer(re.escape(name), text):
                if skip_process and text[m.end() : m.end() + 1] == "法":
                    continue  # 电石法: a process, not the product
                key = (m.end(), len(name))
                if key > (best[2], best[3]):
                    best = (term.slug, m.start(), m.end(), len(name))
    return best[0], best[1]


def propose_figures(proposal, section, paragraph, vocabulary: Vocabulary) -> None:
    indicators = {term.slug for term in vocabulary.indicators}
    previous: ProposedFigure | None = None
    for sentence in sentences(paragraph.text):
        basis = m["basis"] if (m := BASIS.match(sentence)) else ""
        for match in FIGURE.finditer(sentence):
            start = clause_start(sentence, match.start())
            before_in_clause = sentence[start : match.start()]
            before = sentence[: match.start()]
            change = CHANGE.search(before_in_clause + (match["approx"] or ""))
            value, unit = match["value"], match["unit"]
            approximate = bool(match["approx"])
            if change and previous is not None:
                direction = "up" if change["verb"] in UP_VERBS else "down"
                net_added = previous.indicator + NET_ADDED
                if unit == "%" and not previous.change_pct_text:
                    previous.change_direction = previous.change_direction or direction
                    previous.change_pct_text = value
                    previous.change_as_printed = sentence[start : match.end()]
                    continue
                if unit == previous.unit and net_added in indicators:
                    figure = ProposedFigure(
                        section.position,
                        paragraph.position,
                        sentence,
                        value,
                        unit,
                        approximate,
                        previous.product,
                        net_added,
                        year=previous.year,
                        basis=basis,
                    )
                    proposal.figures.append(figure)
                    continue
                if unit == previous.unit and not previous.change_abs_text:
                    previous.change_direction = direction
                    previous.change_abs_text = value
                    previous.change_is_approximate = approximate
                    previous.change_as_printed = sentence[start : match.end()]
                    continue
            product, product_at = nearest(vocabulary.products, before, skip_process=True)
            indicator, indicator_at = nearest(vocabulary.indicators, before_in_clause)
            period = last_period(before)
            year = int(period[:4]) if period[:4].isdigit() else proposal.year
            figure = ProposedFigure(
                section.position,
                paragraph.position,
                sentence,
                value,
                unit,
                approximate,
                product or (previous.product if previous else ""),
                indicator,
                breakdown=process_route(before_in_clause, indicator_at),
                year=year,
                period_text=period,
                basis=basis,
            )
            proposal.figures.append(figure)
            previous = figure


def last_period(text: str) -> str:
    found = PERIOD.findall(text)
    return found[-1] if found else ""


def process_route(clause: str, indicator_at: int) -> str:
    """A production route named just before the indicator (电石法比重), as its breakdown."""
    if indicator_at <= 0:
        return ""
    m = re.search(r"([\u4e00-\u9fff]{1,4}法)$", clause[:indicator_at])
    return m[1] if m else ""


# Company actions


def propose_actions(proposal, section, paragraph, vocabulary: Vocabulary) -> None:
    for sentence in sentences(paragraph.text):
        for match in ACTION_QUANTITY.finditer(sentence):
            value = match["value"]
            number = Decimal(value) if value[0].isdigit() else chinese_to_int(value)
            if number is None or sentence[match.end() : match.end() + 1] in ("月", "日"):
                continue
            start = clause_start(sentence, match.start())
            end = sentence.find("，", match.end())
            clause = sentence[start : end if end >= 0 else len(sentence)]
            proposal.actions.append(
                ProposedAction(
                    section.position,
                    paragraph.position,
                    section.company,
                    sentence,
                    match["qualifier"] or "",
                    value,
                    Decimal(number),
                    match["unit"],
                    item_of(sentence, start, match),
                    best_kind(vocabulary.action_kinds, clause, money=match["unit"] in MONEY),
                )
            )


def item_of(sentence: str, clause_at: int, match) -> str:
    """What was given or done: the words after the quantity (200吨次氯酸钠消毒液), else those
    between the verb and the quantity (捐赠消毒液原液近30吨)."""
    after = sentence[match.end() :]
    stop = ITEM_STOPS.search(after)
    item = after[: stop.start() if stop else len(after)]
    if item:
        return item[:20]
    before = sentence[clause_at : match.start()]
    for verb in ACTION_VERBS:
        if verb in before:
            return before[before.rindex(verb) + len(verb) :][:20]
    return ""


def best_kind(kinds: list[Term], clause: str, money: bool = False) -> str:
    """The kind of action whose name and description share the most two-character words
    with the clause (the first in the vocabulary's order on a tie); a sum of money is
    given, so the kinds that speak of money (款, 资金) are the candidates for it."""

    def bigrams(text: str) -> set[str]:
        return {text[i : i + 2] for i in range(len(text) - 1)}

    monetary = [k for k in kinds if re.search("款|资金", "".join(k.names))] if money else []
    kinds = monetary or kinds
    words = bigrams(clause)
    scored = [
        (len(words & bigrams("".join(kind.names))), -i, kind.slug) for i, kind in enumerate(kinds)
    ]
    best = max(scored, default=(0, 0, ""))
    return best[2] if best[0] or monetary else ""
