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
