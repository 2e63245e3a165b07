"""A notice's text (pasted, or read from .txt / .docx by core.importing) read into a
proposal: its header fields, headings, numbered measures, closing and signature, with the
lines that became nothing and warnings for an editor to check.

Plain Python, no request and no database: the caller passes the issuers it knows
(`KnownIssuer`), and decides what to store (see policies.services and the admin's import
view). `propose_notice(text)` is the entry point.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from core.importing import (
    Block,
    Line,
    Unreadable,
    blocks,
    check_text,
    chinese_to_int,
    join_wrapped,
    source_lines,
)

NUMERAL = "一二三四五六七八九十百"

DOC_NUMBER = re.compile(
    r"^(?P<agency>\S{1,20}?)\s*[〔\[［(（]\s*(?P<year>\d{4})\s*[〕\]］)）]\s*(?P<n>\d+)\s*号$"
)
HEADING = re.compile(rf"^(?P<n>[{NUMERAL}]+)\s*、\s*(?P<title>.+)$")
CHAPTER = re.compile(rf"^第(?P<n>[{NUMERAL}]+)章\s*(?P<title>.*)$")
# Measures: 1. / 1． / 1、   （一）   第一条
ARABIC_ITEM = re.compile(r"^(?P<n>\d{1,3})\s*[.．、](?!\d)\s*(?P<rest>.*)$")
BRACKET_ITEM = re.compile(rf"^[（(](?P<n>[{NUMERAL}]+)[）)]\s*(?P<rest>.*)$")
ARTICLE_ITEM = re.compile(rf"^第(?P<n>[{NUMERAL}]+)条\s*(?P<rest>.*)$")
DATE = re.compile(r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日$")
ABRIDGED = re.compile(r"^[（(][^（）()]{0,20}删减[^（）()]{0,20}[）)]$")

# The kinds of document a title ends with (longest first), as Notice.DocType codes.
DOC_TYPES = [
    ("实施细则", "detailed-rules"),
    ("细则", "detailed-rules"),
    ("通知", "notice"),
    ("意见", "opinions"),
    ("办法", "measures"),
    ("措施", "policy-measures"),
    ("规定", "provisions"),
    ("条例", "regulations"),
    ("方案", "plan"),
    ("决定", "decision"),
    ("公告", "announcement"),
    ("通告", "circular"),
    ("批复", "reply"),
    ("函", "letter"),
]
# What an issuer's name says of its level, when the vocabulary does not know it.
LEVEL_WORDS = [
    ("县", "county"),
    ("区人民政府", "county"),
    ("市", "municipal"),
    ("省", "provincial"),
]
NATIONAL_ENDINGS = ("国务院", "部", "委员会", "总局", "署", "银行", "办公厅")

TITLE_MAX = 40  # a measure's own title is a short first sentence


@dataclass(frozen=True)
class KnownIssuer:
    """An issuer in the vocabulary: its names (name, then aliases) and level ("" if not known)."""

    name: str
    names: tuple[str, ...]
    level: str = ""

    @classmethod
    def from_database(cls) -> list["KnownIssuer"]:
        # Imported here, so that the importer itself runs on plain text without Django
        # set up (bench/import_accuracy.py, the tests).
        from policies.models import Issuer

        return [cls(i.name, tuple(i.names()), i.level) for i in Issuer.objects.all()]


@dataclass
class Problem:
    message: str
    line: int | None = None


@dataclass
class ProposedHeading:
    ordinal: int
    title: str
    lines: list[int] = field(default_factory=list)


@dataclass
class ProposedMeasure:
    number: int
    heading: int  # the ordinal of its heading
    title: str  # "" when the source gives none
    text: str
    lines: list[int] = field(default_factory=list)

    @property
    def title_is_missing(self) -> bool:
        return not self.title


@dataclass
class NoticeProposal:
    lines: list[Line]
    doc_number: str = ""
    title: str = ""
    issuing_body: str = ""
    issuers: list[str] = field(default_factory=list)  # names as the vocabulary writes them
    new_issuers: list[str] = field(default_factory=list)  # names it does not know
    level: str = ""
    level_is_editorial: bool = False
    doc_type: str = ""
    doc_type_is_editorial: bool = False
    issued_on: date | None = None
    addressees: str = ""
    preamble: str = ""
    closing: str = ""
    signature: str = ""
    signature_date: str = ""
    abridged_note: str = ""
    headings: list[ProposedHeading] = field(default_factory=list)
    measures: list[ProposedMeasure] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # What each line became (for the preview), and the lines that became nothing.
    roles: dict[int, str] = field(default_factory=dict)

    @property
    def unparsed(self) -> list[Line]:
        return [line for line in self.lines if line.number not in self.roles]

    def warn(self, message: str, line: int | None = None) -> None:
        self.warnings.append(Problem(message, line))

    def mark(self, block: Block, role: str) -> None:
        for number in block.lines:
            self.roles[number] = role


def classify(text: str) -> str | None:
    if DOC_NUMBER.match(text) or DATE.match(text) or ABRIDGED.match(text):
        return "line"
    if HEADING.match(text) or CHAPTER.match(text):
        return "heading"
    if ARABIC_ITEM.match(text) or BRACKET_ITEM.match(text) or ARTICLE_ITEM.match(text):
        return "item"
    return None


def split_title(text: str) -> tuple[str, str]:
    """A measure's title and text: the first sentence is its title when it is short and
    has no comma (加强分类指导。各级……); otherwise the measure has no title of its own."""
    head, stop, rest = text.partition("。")
    if stop and len(head) <= TITLE_MAX and not re.search(r"[，,；;：:]", head):
        return head, rest
    return "", text


def doc_type_of(title: str) -> str:
    return next((code for word, code in DOC_TYPES if title.endswith(word)), "")


def propose_notice(text: str, known_issuers: list[KnownIssuer] = ()) -> NoticeProposal:
    """Read a notice's text. Raises Unreadable when the text has no recognisable notice in it."""
    check_text(text)
    proposal = NoticeProposal(source_lines(text))
    found = blocks(proposal.lines, classify)
    first_body = next(
        (
            i
            for i, b in enumerate(found)
            if b.kind == "item" or HEADING.match(b.text) or CHAPTER.match(b.text)
        ),
        len(found),
    )
    read_header(proposal, found[:first_body])
    rest = read_body(proposal, found[first_body:])
    read_ending(proposal, rest)
    name_issuers(proposal, known_issuers)
    check(proposal)
    return proposal


def read_header(proposal: NoticeProposal, header: list[Block]) -> None:
    """Title, document number, addressees and preamble, in whichever order the text has
    the first two (a red-header file puts the number first, a bulletin after the title)."""
    title_at = next(
        (i for i, b in enumerate(header) if b.kind == "text" and doc_type_of(b.text)), None
    )
    if title_at is not None:
        block = header[title_at]
        # A column label or a red header may run into the title's first line in wrapped
        # text; the title starts at its line that names the issuer before 关于.
        start = next((i for i, part in enumerate(block.parts) if "关于" in part), 0)
        if start:
            block.lines, block.parts = block.lines[start:], block.parts[start:]
            block.text = join_wrapped(block.parts)
        proposal.title = block.text
        proposal.mark(block, "标题")
    for block in header:
        match = DOC_NUMBER.match(block.text)
        if match and not proposal.doc_number:
            proposal.doc_number = block.text
            proposal.mark(block, "发文字号")
    after = title_at + 1 if title_at is not None else 0
    texts = [b for b in header[after:] if b.kind == "text"]
    if texts and texts[0].text.endswith("：") and "。" not in texts[0].text:
        proposal.addressees = texts[0].text.removesuffix("：")
        proposal.mark(texts[0], "主送机关")
        texts = texts[1:]
    if texts:
        proposal.preamble = "\n".join(b.text for b in texts)
        for block in texts:
            proposal.mark(block, "导语")


def read_body(proposal: NoticeProposal, body: list[Block]) -> list[Block]:
    """Headings and measures; returns the blocks after the last measure (the ending).

    A paragraph between two measures is a further paragraph of the one before it; one
    between a heading and its first measure has no place in the knowledge base and is
    left unparsed, with a warning."""
    heading: ProposedHeading | None = None
    style = None
    pending: list[Block] = []

    def settle_pending():
        if not pending:
            return
        owner = proposal.measures[-1] if proposal.measures else None
        if owner and owner.heading == (heading.ordinal if heading else 0):
            owner.text = "\n".join([owner.text, *(b.text for b in pending)])
            owner.lines += [n for b in pending for n in b.lines]
            for block in pending:
                proposal.mark(block, f"第{owner.number}条")
        else:
            for block in pending:
                proposal.warn(
                    f"第{block.lines[0]}行：标题与第一条措施之间的段落没有对应的字段。",
                    block.lines[0],
                )
        pending.clear()

    for block in body:
        if m := HEADING.match(block.text) or CHAPTER.match(block.text):
            settle_pending()
            ordinal = chinese_to_int(m["n"])
            check_sequence(proposal, "标题", [h.ordinal for h in proposal.headings], ordinal, block)
            heading = ProposedHeading(ordinal, m["title"].strip(), block.lines)
            proposal.headings.append(heading)
            proposal.mark(block, f"标题 {m['n']}、")
        elif block.kind == "item":
            settle_pending()
            if heading is None:
                heading = ProposedHeading(1, "", [])
                proposal.headings.append(heading)
                proposal.warn("原文没有“一、二、”式的标题：措施都归入第一个标题，请填写它的标题。")
            measure, style = read_measure(proposal, block, style, heading)
            measure.heading = heading.ordinal
            proposal.measures.append(measure)
            proposal.mark(block, f"第{measure.number}条")
        else:
            pending.append(block)
    return pending


def read_measure(proposal, block, style, heading):
    text = block.text
    if m := ARABIC_ITEM.match(text):
        kind, number, rest = "arabic", int(m["n"]), m["rest"]
    elif m := BRACKET_ITEM.match(text):
        kind, number, rest = "bracket", chinese_to_int(m["n"]), m["rest"]
    elif m := ARTICLE_ITEM.match(text):
        kind, number, rest = "article", chinese_to_int(m["n"]), m["rest"]
    else:
        raise AssertionError(f"not an item: {text}")
    if style and kind != style:
        proposal.warn(
            f"第{block.lines[0]}行：编号方式与前面的措施不同（“{text[:8]}……”）。", block.lines[0]
        )
    style = style or kind
    previous = [m.number for m in proposal.measures]
    if kind == "bracket":
        # （一） restarts under each heading; the knowledge base numbers measures through
        # the notice, so that a measure is cited as 第N条.
        in_heading = [m for m in proposal.measures if heading and m.heading == heading.ordinal]
        expected = len(in_heading) + 1
        if number != expected:
            proposal.warn(
                f"第{block.lines[0]}行：（{text[1 : text.index('）') if '）' in text else 2]}）在本标题下应为第{expected}项。",
                block.lines[0],
            )
        if not any(w.message.startswith("措施以“（一）”编号") for w in proposal.warnings):
            proposal.warn(
                "措施以“（一）”编号、每个标题下重新起算：本库按全文次序编为第1至N条，请核对。"
            )
        number = (previous[-1] if previous else 0) + 1
    else:
        check_sequence(proposal, "措施", previous, number, block)
    title, body = split_title(rest) if kind != "article" else ("", rest)
    measure = ProposedMeasure(number, 0, title, body, block.lines)
    if not title:
        proposal.warn(f"第{number}条没有小标题：请拟定标题（将标为编者拟定）。", block.lines[0])
    return measure, style


def check_sequence(proposal, what: str, previous: list[int], number: int, block: Block) -> None:
    expected = (previous[-1] if previous else 0) + 1
    if number in previous:
        proposal.warn(f"第{block.lines[0]}行：{what}编号 {number} 重复。", block.lines[0])
    elif number != expected:
        proposal.warn(
            f"第{block.lines[0]}行：{what}编号跳号，应为 {expected}，原文为 {number}。",
            block.lines[0],
        )


def read_ending(proposal: NoticeProposal, ending: list[Block]) -> None:
    """Closing paragraphs, the signature, its date and an editor's note of abridgement."""
    paragraphs: list[Block] = []
    for block in ending:
        if m := DATE.match(block.text):
            proposal.signature_date = block.text
            try:
                proposal.issued_on = date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                proposal.warn(f"第{block.lines[0]}行：日期“{block.text}”不存在。", block.lines[0])
            proposal.mark(block, "落款日期")
            if paragraphs and not proposal.signature and is_signature(paragraphs[-1].text):
                signature = paragraphs.pop()
                proposal.signature = signature.text
                proposal.mark(signature, "落款")
        elif ABRIDGED.match(block.text):
            proposal.abridged_note = block.text
            proposal.mark(block, "删减说明")
        elif not proposal.signature_date and block.kind == "text":
            paragraphs.append(block)
    # Text that follows a measure up to the signature is the closing; text between two
    # measures was appended to the one before it (see read_body).
    if proposal.measures and paragraphs:
        proposal.closing = "\n".join(b.text for b in paragraphs)
        for block in paragraphs:
            proposal.mark(block, "结束语")


def is_signature(text: str) -> bool:
    return len(text) <= 60 and not re.search(r"[。，；：！？]", text)


def name_issuers(proposal: NoticeProposal, known: list[KnownIssuer]) -> None:
    """The issuing bodies from the title (财政部 税务总局关于……), else the signature; each
    matched to the vocabulary, its level read from there or, failing that, from its name."""
    body = proposal.title.split("关于")[0] if "关于" in proposal.title else ""
    body = body.removesuffix("印发").strip() or proposal.signature
    proposal.issuing_body = body
    names = [n for n in re.split(r"[\s、，,]+", body) if n]
    by_name = {alias: issuer for issuer in known for alias in issuer.names}
    levels = set()
    for name in names:
        issuer = by_name.get(name)
        if issuer:
            proposal.issuers.append(issuer.name)
            levels.add(issuer.level)
        else:
            proposal.new_issuers.append(name)
            levels.add(guess_level(name))
            proposal.warn(f"发文机关“{name}”不在词表中：确认导入时将新建，请核对其名称和层级。")
    levels.discard("")
    if len(levels) == 1:
        proposal.level = levels.pop()
        proposal.level_is_editorial = bool(proposal.new_issuers)
    elif names:
        proposal.warn("看不出发文机关的层级：请选择。")
    proposal.doc_type = doc_type_of(proposal.title)
    if proposal.title and not proposal.doc_type:
        proposal.doc_type, proposal.doc_type_is_editorial = "other", True
        proposal.warn("标题末尾没有常见文种（通知、意见、办法等）：请选择文种。")


def guess_level(name: str) -> str:
    for word, level in LEVEL_WORDS:
        if word in name:
            return level
    return "national" if name.endswith(NATIONAL_ENDINGS) else ""


def check(proposal: NoticeProposal) -> None:
    if not proposal.measures and not proposal.headings:
        raise Unreadable(
            "没有认出通知的结构：找不到“一、二、”式的标题，也找不到“1.”“（一）”“第一条”式编号的措施。"
            "请确认粘贴的是通知的全文。"
        )
    for what, value in [
        ("发文字号", proposal.doc_number),
        ("标题", proposal.title),
        ("主送机关", proposal.addressees),
        ("成文日期", proposal.issued_on),
        ("落款", proposal.signature),
    ]:
        if not value:
            proposal.warn(f"没有找到{what}：请在预览中填写。")
    numbered = {m.heading for m in proposal.measures}
    for heading in proposal.headings:
        if heading.ordinal not in numbered:
            proposal.warn(
                f"标题“{heading.title}”下没有措施。", heading.lines[0] if heading.lines else None
            )
