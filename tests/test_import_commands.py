import pytest
from django.core.management import CommandError, call_command

from industry.models import Article, Figure
from policies.models import Notice
from tests.sourcetext import CHLOR_ALKALI_TEXT, NOTICE_TEXT, source_part

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def notice_file(tmp_path):
    path = tmp_path / "notice.txt"
    path.write_text(source_part(*NOTICE_TEXT), encoding="utf-8")
    return path


def test_import_notice_dry_run_prints_the_proposal(seed, notice_file):
    out = run("import_notice", str(notice_file), "--dry-run")
    assert "发文字号：工信明电〔2020〕14号" in out
    assert "  8. 加大信贷支持力度 | 各地要主动加强与金融机构的对接" in out
    assert "  19. （无小标题）" in out
    assert "6 headings, 20 measures." in out
    assert "warning: 第20条没有小标题：请拟定标题（将标为编者拟定）。" in out
    assert "unparsed line 1: 政策信息" in out
    assert "--dry-run: nothing stored." in out
    assert Notice.objects.count() == 1


def test_import_notice_refuses_a_duplicate_and_one_that_needs_an_editor(seed, notice_file):
    with pytest.raises(CommandError, match="本库已有发文字号"):
        run("import_notice", str(notice_file))
    text = notice_file.read_text(encoding="utf-8").replace("〔2020〕14 号", "〔2020〕16 号")
    notice_file.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match="没有小标题的措施：19、20"):
        run("import_notice", str(notice_file))
    assert Notice.objects.count() == 1


def test_import_notice_stores_a_complete_notice_as_a_draft(seed, notice_file):
    text = (
        notice_file.read_text(encoding="utf-8")
        .replace("〔2020〕14 号", "〔2020〕16 号")
        .replace("19.发挥各级", "19.发挥机制作用。发挥各级")
        .replace("20.各级中小企业", "20.履行职责。各级中小企业")
    )
    notice_file.write_text(text, encoding="utf-8")
    out = run("import_notice", str(notice_file))
    notice = Notice.objects.get(doc_number="工信明电〔2020〕16号")
    assert "Stored as a draft" in out and notice.status == "draft"
    assert notice.measures.get(number=19).title == "发挥机制作用"


def test_import_article_dry_run_and_store(seed, tmp_path):
    path = tmp_path / "article.txt"
    path.write_text(
        source_part(*CHLOR_ALKALI_TEXT).replace("2019 年中国氯碱", "2020 年中国氯碱"),
        encoding="utf-8",
    )
    out = run("import_article", str(path), "--dry-run")
    assert "34 figures proposed:" in out
    assert "  6.1万吨 caustic-soda/imports 2019 2019年 同比增长88.8%" in out
    assert Article.objects.count() == 2
    run("import_article", str(path))
    article = Article.objects.get(title="2020年中国氯碱行业经济运行分析")
    assert article.status == "draft" and not Figure.objects.filter(section__article=article)
    with pytest.raises(CommandError, match="本库已有同名文章"):
        run("import_article", str(path), "--accept-proposals")


def test_import_article_accepting_the_proposals(seed, tmp_path):
    path = tmp_path / "article.txt"
    path.write_text(
        source_part(*CHLOR_ALKALI_TEXT).replace("2019 年中国氯碱", "2020 年中国氯碱"),
        encoding="utf-8",
    )
    run("import_article", str(path), "--accept-proposals")
    article = Article.objects.get(title="2020年中国氯碱行业经济运行分析")
    assert Figure.objects.filter(section__article=article).count() == 34


@pytest.mark.parametrize("command", ["import_notice", "import_article"])
def test_bad_files_are_refused_with_a_message(db, tmp_path, command):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="文件是空的"):
        run(command, str(empty), "--dry-run")
    with pytest.raises(CommandError, match="No such file"):
        run(command, str(tmp_path / "missing.txt"), "--dry-run")
