"""What the importers share: reading an uploaded file into text, and undoing the layout
of text copied from a PDF or a web page, so that each importer (policies.importer,
industry.importer) sees logical blocks: a title, a heading, a paragraph, a numbered item.

Plain Python on plain text: no request, no database. The importers are tested on the
bulletin's text directly.
"""

import io
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePath

import docx

from core.text import HAN

# A notice or an article is tens of kilobytes; anything far larger is not one.
MAX_BYTES = 2 * 1024 * 1024
ENCODINGS = ("utf-8-sig", "gb18030")  # ministries still publish GBK text files

# A run of spaces is layout unless it separates two Chinese characters (a title's own
# separator, as in 众志成城 抗击疫情) or two Latin words or numbers. The same rule as the
# tests' tests/sourcetext.py, which checks the fixtures against the source independently.
LAYOUT_SPACE = re.compile(
    rf"(?<![{HAN}A-Za-z0-9]) +| +(?![{HAN}A-Za-z0-9])"
    rf"|(?<=[{HAN}]) +(?=[A-Za-z0-9])|(?<=[A-Za-z0-9]) +(?=[{HAN}])"
)
# Marks that end a paragraph (a sentence, an exclamation, a colon before a list).
PARAGRAPH_END = "。！？：；…”"
# A line at least this share of the wrap width was broken by the layout, not by the author.
FULL_LINE = 0.85


class Unreadable(Exception):
    """A file or text that cannot be imported; the message says why, for the editor."""


def read_upload(name: str, data: bytes) -> str:
    """The text of an uploaded .txt or .docx file."""
    suffix = PurePath(name or "").suffix.lower()
    if not data:
        raise Unreadable("文件是空的。")
    if len(data) > MAX_BYTES:
        raise too_large(len(data))
    if suffix == ".docx" or data[:2] == b"PK":
        return text_from_docx(data)
    if suffix not in ("", ".txt", ".text"):
        raise Unreadable(
            f"不支持 {suffix} 文件：请上传 .txt 或 .docx（.doc 请先另存为 .docx，PDF 请复制文字后粘贴）。"
        )
    return decode_text(data)


def too_large(size: int) -> Unreadable:
    return Unreadable(
        f"文件太大（{size / 1024 / 1024:.1f} MB），上限为 {MAX_BYTES // 1024 // 1024} MB；"
        "一份通知或文章的文本通常只有几十 KB。"
    )


def decode_text(data: bytes) -> str:
    if b"\x00" in data:
        raise Unreadable("这不是文本文件（含有二进制内容）：请上传 .txt 或 .docx。")
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Unreadable("无法识别文件的文字编码：请另存为 UTF-8 编码的 .txt 文件。")
    return check_text(text)


def check_text(text: str) -> str:
    """Text that is plausibly a document: not empty, not too large, not control codes."""
    if not text.strip():
        raise Unreadable("没有文字：文件或粘贴的内容是空的。")
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise Unreadable(
            f"文字太长，上限为 {MAX_BYTES // 1024 // 1024} MB；一份通知或文章的文本通常只有几十 KB。"
        )
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\r\n\t\f")
    if controls > len(text) / 100:
        raise Unreadable("这不是文本文件（含有大量控制字符）：请上传 .txt 或 .docx。")
    return text


def text_from_docx(data: bytes) -> str:
    """A .docx file's paragraphs, one a line (tables' cells too, row by row)."""
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise Unreadable("无法读取这个 .docx 文件（文件损坏或不是 Word 文档）。") from exc
    except Exception as exc:  # python-docx raises its own errors for other broken parts
        raise Unreadable(f"无法读取这个 .docx 文件：{exc}") from exc
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" ".join(cell.text for cell in row.cells))
    return check_text("\n".join(lines))


def undo_layout_spaces(text: str) -> str:
    return LAYOUT_SPACE.sub("", text.replace("\u3000", " ").replace("\xa0", " "))


def display_width(text: str) -> int:
    """How wide a line prints: a Chinese character takes two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@dataclass
class Line:
    number: int  # in the text as given, from 1, blank lines counted
    text: str  # stripped
    # Whether the layout broke this line (it ran to the wrap width); None: judge by width.
    full: bool | None = None


def source_lines(text: str) -> list[Line]:
    """The non-blank lines, each with its number in the text as the editor gave it."""
    return [
        Line(number, line.strip())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def wrap_width(lines: list[Line]) -> int | None:
    """The width at which the layout broke lines (text copied from a PDF), or None when
    each line is a paragraph of its own (a web page, a Word file)."""
    widths = [display_width(line.text) for line in lines]
    if len(widths) < 8:
        return None
    common, _count = Counter(w // 4 * 4 for w in widths).most_common(1)[0]
    near = sum(1 for w in widths if abs(w - common) <= max(4, common * 0.08))
    # Narrower than 20 Chinese characters is no page's column; wider than 80 is a paragraph.
    if not 40 <= common <= 160 or near < max(8, len(widths) * 0.4):
        return None
    return max(w for w in widths if abs(w - common) <= max(4, common * 0.08))


@dataclass
class Block:
    """A logical line: a title, a heading, a paragraph or a numbered item, its wrapped
    lines joined and its layout spaces removed."""

    kind: str  # what `classify` said of its first line: "line", "heading", "item", or "text"
    text: str
    lines: list[int] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)  # the lines as given


def join_wrapped(parts: Iterable[str]) -> str:
    joined = ""
    for part in parts:
        latin_words = re.fullmatch(r"[A-Za-z]{2}", joined[-1:] + part[:1])
        joined += (" " if latin_words else "") + part  # two Latin words broken across lines
    return undo_layout_spaces(joined)


def blocks(lines: list[Line], classify: Callable[[str], str | None]) -> list[Block]:
    """Join wrapped lines into blocks.

    `classify(text)` says whether a line starts a structural block: "line" (a block of
    one line, such as a date), "heading" (a title or heading, which ends with its line
    unless the line is full: the layout wrapped it) or
    "item" (a numbered item, which ends as a paragraph does). Any other line continues the
    block before it, unless that block has ended: a paragraph ends at a line that closes a
    sentence (。！？：) short of the wrap width. Text whose lines are not wrapped has one
    block a line.
    """
    width = wrap_width(lines)
    found: list[tuple[str, list[Line]]] = []
    closed = True
    for line in lines:
        kind = classify(line.text)
        if kind or closed:
            found.append((kind or "text", [line]))
        else:
            found[-1][1].append(line)
        full = line.full
        if full is None:
            full = width is not None and display_width(line.text) >= width * FULL_LINE
        current = found[-1][0]
        if width is None or current == "line":
            closed = True
        elif current == "heading":
            closed = not full
        else:
            closed = line.text[-1] in PARAGRAPH_END and not full
    return [
        Block(
            kind,
            join_wrapped(line.text for line in group),
            [line.number for line in group],
            [line.text for line in group],
        )
        for kind, group in found
    ]


# Numbers as the documents write them.

CHINESE_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
CHINESE_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
CHINESE_NUMBER = "〇零一二两三四五六七八九十百千万"


def chinese_to_int(text: str) -> int | None:
    """一 → 1, 十二 → 12, 二十 → 20, 两百 → 200, 一千零五 → 1005; None if not a number."""
    if not text or any(c not in CHINESE_NUMBER for c in text):
        return None
    total, current = 0, 0
    for char in text:
        if char in CHINESE_DIGITS:
            current = CHINESE_DIGITS[char]
        else:
            unit = CHINESE_UNITS[char]
            if unit == 10000:
                total = (total + current) * unit
            else:
                total += (current or 1) * unit
            current = 0
    return total + current
