"""The notice importer, measured against the seed: importing the notice's text from the
source reproduces the fixture's notice character for character."""

import io
import json

import docx
import pytest

from core.importing import Unreadable, read_upload
from policies.importer import KnownIssuer, propose_notice
from tests.sourcetext import NOTICE_TEXT, SOURCE_PATH, source_part

FIXTURE = json.loads((SOURCE_PATH.parent.parent / "policies.json").read_text(encoding="utf-8"))
MIIT = KnownIssuer("工业和信息化部", ("工业和信息化部", "工信部"), "national")


def fixture(model: str) -> list[dict]:
    return [r["fields"] for r in FIXTURE if r["model"] == f"policies.{model}"]


@pytest.fixture(scope="module")
def notice_text() -> str:
    return source_part(*NOTICE_TEXT)


@pytest.fixture(scope="module")
def proposal(notice_text):
    return propose_notice(notice_text, [MIIT])


def test_header_fields_are_the_fixtures(proposal):
    [stored] = fixture("notice")
    for name in [
        "doc_number",
        "title",
        "issuing_body",
        "addressees",
        "preamble",
        "closing",
        "signature",
        "signature_date",
        "abridged_note",
        "level",
        "doc_type",
    ]:
        assert getattr(proposal, name) == stored[name], name
    assert proposal.issued_on.isoformat() == stored["issued_on"]
    assert proposal.issuers == ["工业和信息化部"] and proposal.new_issuers == []
    assert not proposal.level_is_editorial and not proposal.doc_type_is_editorial


def test_all_headings_and_measures_character_for_character(proposal):
    headings = fixture("heading")
    assert [(h.ordinal, h.title) for h in proposal.headings] == [
        (h["ordinal"], h["title"]) for h in headings
    ]
    measures = fixture("measure")
    assert len(proposal.measures) == len(measures) == 20
    for got, stored in zip(proposal.measures, measures, strict=True):
        assert got.number == stored["number"]
        assert got.heading == stored["heading"][1]
        assert got.text == stored["text"], got.number
        if stored["title_is_editorial"]:
            assert got.title == "", got.number  # the source has none: proposed without
        else:
            assert got.title == stored["title"], got.number


def test_measures_without_titles_are_warned_about_and_nothing_else(proposal):
    assert [w.message for w in proposal.warnings] == [
        "第19条没有小标题：请拟定标题（将标为编者拟定）。",
        "第20条没有小标题：请拟定标题（将标为编者拟定）。",
    ]
    # The bulletin's column label is the one line that is no part of the notice.
    assert [line.text for line in proposal.unparsed] == ["政策信息"]
    doc_number_line = next(line for line in proposal.lines if "工信明电" in line.text)
    assert proposal.roles[doc_number_line.number] == "发文字号"


def as_docx(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def same(a, b) -> bool:
    fields = ["doc_number", "title", "addressees", "preamble", "closing", "signature", "issued_on"]
    return (
        all(getattr(a, f) == getattr(b, f) for f in fields)
        and [(h.ordinal, h.title) for h in a.headings] == [(h.ordinal, h.title) for h in b.headings]
        and [(m.number, m.heading, m.title, m.text) for m in a.measures]
        == [(m.number, m.heading, m.title, m.text) for m in b.measures]
    )


def test_a_docx_of_the_source_imports_as_the_text(notice_text, proposal):
    data = as_docx(notice_text.splitlines())
    assert same(propose_notice(read_upload("notice.docx", data), [MIIT]), proposal)


def unwrapped(proposal) -> list[str]:
    """The notice as a web page or a ministry's Word file holds it: a paragraph a line."""
    lines = [proposal.title, proposal.doc_number, proposal.addressees + "：", proposal.preamble]
    for heading in proposal.headings:
        lines.append(f"{'一二三四五六'[heading.ordinal - 1]}、{heading.title}")
        for m in proposal.measures:
            if m.heading == heading.ordinal:
                lines.append(
                    f"{m.number}.{m.title}。{m.text}" if m.title else f"{m.number}.{m.text}"
                )
    return [*lines, proposal.closing, proposal.signature, "2020年2月9日"]


def test_a_docx_with_a_paragraph_a_line_imports_the_same(proposal):
    data = as_docx(unwrapped(proposal))
    assert same(propose_notice(read_upload("notice.docx", data), [MIIT]), proposal)


def test_pasted_text_with_a_paragraph_a_line_imports_the_same(proposal):
    assert same(propose_notice("\n\n".join(unwrapped(proposal)), [MIIT]), proposal)


def test_an_unknown_issuer_is_named_and_its_level_guessed():
    text = "\n".join(
        [
            "财政部 税务总局关于支持小微企业的公告",
            "财政部 税务总局公告2024年第1号",
            "各省、自治区、直辖市财政厅（局）：",
            "现就有关事项公告如下：",
            "一、总体要求",
            "1.降低税率。对小微企业减按25%计入应纳税所得额。",
            "2.简化手续。办理更便捷。",
            "财政部 税务总局",
            "2024年3月1日",
        ]
    )
    proposal = propose_notice(text)
    assert proposal.issuing_body == "财政部 税务总局"
    assert proposal.new_issuers == ["财政部", "税务总局"]
    assert proposal.level == "national" and proposal.level_is_editorial
    assert proposal.doc_type == "announcement"
    assert "发文机关“财政部”不在词表中：确认导入时将新建，请核对其名称和层级。" in [
        w.message for w in proposal.warnings
    ]
    assert (
        proposal.signature == "财政部 税务总局" and proposal.issued_on.isoformat() == "2024-03-01"
    )


def messages(text: str) -> list[str]:
    return [w.message for w in propose_notice(text).warnings]


BODY = "湖北省经济和信息化厅关于支持企业的通知\n鄂经信〔2020〕5号\n各市经信局：\n现通知如下：\n一、总则\n"


def test_numbering_gaps_and_repeats_are_warned_about():
    found = messages(
        BODY + "1.甲。正文。\n2.乙。正文。\n2.丙。正文。\n5.丁。正文。\n三、其他\n6.戊。正文。"
    )
    assert "第8行：措施编号 2 重复。" in found
    assert "第9行：措施编号跳号，应为 3，原文为 5。" in found
    assert "第10行：标题编号跳号，应为 2，原文为 3。" in found


def test_bracketed_and_article_numbering():
    proposal = propose_notice(
        BODY
        + "（一）加强领导。各地要加强领导。\n（二）压实责任。各部门要负责。\n二、保障\n（一）资金保障。安排资金。"
    )
    assert [(m.number, m.heading, m.title) for m in proposal.measures] == [
        (1, 1, "加强领导"),
        (2, 1, "压实责任"),
        (3, 2, "资金保障"),
    ]
    assert proposal.level == "provincial" and proposal.level_is_editorial
    assert any("（一）" in w.message and "重新起算" in w.message for w in proposal.warnings)

    articles = propose_notice(
        "某某市中小企业扶持办法\n第一章 总则\n第一条 为了支持中小企业发展，制定本办法。\n第二条 本办法适用于本市。"
    )
    assert [(m.number, m.title, m.text) for m in articles.measures] == [
        (1, "", "为了支持中小企业发展，制定本办法。"),
        (2, "", "本办法适用于本市。"),
    ]
    assert articles.headings[0].title == "总则" and articles.doc_type == "measures"


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.txt", b"", "文件是空的。"),
        ("blank.txt", b"  \n\n ", "没有文字"),
        ("image.txt", bytes(range(256)) * 4, "这不是文本文件"),
        ("big.txt", b"a" * (20 * 1024 * 1024), "文件太大（20.0 MB）"),
        ("notice.pdf", b"%PDF-1.7", "不支持 .pdf 文件"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "无法读取这个 .docx 文件"),
    ],
)
def test_bad_files_are_refused_with_a_message(name, data, message):
    with pytest.raises(Unreadable, match=message):
        propose_notice(read_upload(name, data))


def test_text_without_a_notice_in_it_is_refused():
    with pytest.raises(Unreadable, match="没有认出通知的结构"):
        propose_notice("今天天气很好。\n我们去公园散步，看见很多人。\n然后回家吃饭。")


def test_gbk_text_files_are_read():
    text = read_upload("notice.txt", "一、总则\n1.甲。乙。".encode("gb18030"))
    assert text.startswith("一、总则")
