"""The bulletin's text as the PDF printed it, with only the layout undone.

Fixtures store the bulletin verbatim; tests compare them with `normalized_source()`.
"""

import re
from functools import cache
from pathlib import Path

from core.text import HAN

SOURCE_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "source" / "bulletin.txt"

# A run of spaces is layout unless it separates two Chinese characters (a title's own
# separator, as in 众志成城 抗击疫情) or two Latin words/numbers.
_LAYOUT_SPACE = re.compile(
    rf"(?<![{HAN}A-Za-z0-9]) +| +(?![{HAN}A-Za-z0-9])|(?<=[{HAN}]) +(?=[A-Za-z0-9])|(?<=[A-Za-z0-9]) +(?=[{HAN}])"
)


def normalize(text: str) -> str:
    """Join wrapped lines and drop layout spaces; keep every other character."""
    joined = "".join(line.strip() for line in text.splitlines())
    return _LAYOUT_SPACE.sub("", joined)


@cache
def normalized_source() -> str:
    return normalize(SOURCE_PATH.read_text(encoding="utf-8"))


def source_part(first: str, last: str | None = None) -> str:
    """The raw source (layout and all) from the line holding `first` to the line holding
    `last` (or the end), as an editor would copy one document out of the bulletin."""
    lines = SOURCE_PATH.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if first in line)
    end = next(i for i, line in enumerate(lines) if last in line) if last else len(lines) - 1
    return "\n".join(lines[start : end + 1]) + "\n"


NOTICE_TEXT = ("政策信息", "（本文有删减）")
CHLOR_ALKALI_TEXT = ("行业资讯", "PVC 市场将在持续震荡中前行。")
CARBIDE_TEXT = ("抗击疫情", None)
