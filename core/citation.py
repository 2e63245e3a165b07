"""Citations of the knowledge base's pages as online sources, in the form GB/T 7714-2015
gives for electronic resources (4.8, 电子资源), without a place and publisher:

    主要责任者. 题名: 其他题名信息[EB/OL]. (更新或修改日期)[引用日期]. 获取和访问路径.

as in the standard's own example of a government notice:

    北京市人民政府办公厅. 关于转发北京市企业投资项目核准暂行实施办法的通知: 京政办发〔2005〕37号
    [A/OL]. (2005-07-12)[2011-07-12]. http://www.bjpc.gov.cn/….

The marks and spaces are the standard's (". ", ": ", half-width brackets), in Chinese and in
English alike; dates are YYYY-MM-DD; a source without a date of its own gives only the
date cited. What is cited is this site's page of the record, an electronic bulletin (EB)
read online (OL). The models say what each record's parts are (`online_citation`)."""

from dataclasses import dataclass
from datetime import date

# More responsible bodies than this are cut to the first three, then 等 / et al (8.1.2).
MAX_CREATORS = 3


@dataclass(frozen=True)
class OnlineSource:
    creators: list[str]
    title: str
    url: str
    accessed: date
    other_title: str = ""  # 其他题名信息: a document number, the part of the work cited
    published: date | None = None  # 更新或修改日期: the source's own date, when it has one
    english: bool = False


def gb_t_7714(source: OnlineSource) -> str:
    """The reference to `source`, as GB/T 7714-2015 4.8 writes an electronic resource."""
    creators = [c for c in source.creators if c]
    shown = ", ".join(creators[:MAX_CREATORS])
    if len(creators) > MAX_CREATORS:
        shown += ", et al" if source.english else ", 等"
    title = f"{source.title}: {source.other_title}" if source.other_title else source.title
    dated = f"({source.published.isoformat()})" if source.published else ""
    parts = [shown, f"{title}[EB/OL]", f"{dated}[{source.accessed.isoformat()}]", source.url]
    return ". ".join(part for part in parts if part) + "."


def translated(original: str, translation: str) -> str:
    """An original title followed by its (editorial) translation in brackets, as English
    references give a title in another language: 标题 [Title]."""
    return f"{original} [{translation}]" if translation and translation != original else original
