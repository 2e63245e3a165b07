from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.importing import Unreadable, read_upload
from industry.forms import proposal_initial
from industry.importer import ArticleProposal, Vocabulary, propose_article
from industry.models import Article, Indicator, Product
from industry.services import article_import


class Command(BaseCommand):
    help = (
        "Read an industry article's text (.txt or .docx) and print what it proposes: "
        "sections, paragraphs, figures and company actions, warnings and unparsed lines. "
        "Without --dry-run, store the article, its sections and paragraphs as a draft; "
        "proposed figures and actions are stored only with --accept-proposals (those whose "
        "product and indicator, or kind, were guessed), since running it is then the "
        "editor's confirmation. The admin's 从文本导入 lets an editor decide one by one."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="print the proposal only")
        parser.add_argument("--accept-proposals", action="store_true")

    def handle(self, *args, file: Path, dry_run: bool, accept_proposals: bool, **options):
        try:
            text = read_upload(file.name, file.read_bytes())
            proposal = propose_article(text, Vocabulary.from_database())
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from exc
        except Unreadable as exc:
            raise CommandError(f"{file}: {exc}") from exc
        self.print_proposal(proposal)
        if dry_run:
            self.stdout.write("\n--dry-run: nothing stored.")
            return
        if Article.objects.filter(title=proposal.title).exists():
            raise CommandError(f"本库已有同名文章“{proposal.title}”：不重复导入。")
        if any(s.kind == "story" for s in proposal.sections):
            raise CommandError(
                "没有保存：企业事迹需要编者确认企业（新企业的英文名和网址标识）。"
                "请用后台“文章 › 从文本导入”页面导入。"
            )
        initial = proposal_initial(proposal, text, file.name)
        accepted = {
            name: [p for p in initial[name] if p["accept"]] if accept_proposals else []
            for name in ("figures", "actions")
        }
        products = {p.slug: p for p in Product.objects.all()}
        indicators = {i.slug: i for i in Indicator.objects.all()}
        for figure in accepted["figures"]:
            figure["product"] = products[figure["product"]]
            figure["indicator"] = indicators[figure["indicator"]]
        article = article_import(
            article=initial["article"],
            sections=[{"editorial_note": "", **s} for s in initial["sections"]],
            paragraphs=initial["paragraphs"],
            user=None,
            source_name=file.name,
            **accepted,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"\nStored as a draft: {article} ({len(accepted['figures'])} figures, "
                f"{len(accepted['actions'])} actions)."
            )
        )

    def print_proposal(self, p: ArticleProposal) -> None:
        out = self.stdout.write
        out(f"栏目：{p.column or '—'}\n标题：{p.title}\n作者单位：{p.author or '—'}")
        for s in p.sections:
            out(f"\n[{s.anchor}] {s.printed_heading or '（导语）'}")
            for paragraph in s.paragraphs:
                out(f"  ¶{paragraph.position} {paragraph.text[:40]}…")
        out(f"\n{len(p.figures)} figures proposed:")
        for f in p.figures:
            change = f" {f.change_as_printed}" if f.change_as_printed else ""
            out(
                f"  {f.printed} {f.product or '?'}/{f.indicator or '?'}"
                f"{' ' + f.breakdown if f.breakdown else ''} {f.year or '?'}"
                f"{' ' + f.period_text if f.period_text else ''}{change} | {f.sentence[:30]}…"
            )
        out(f"\n{len(p.actions)} action quantities proposed:")
        for a in p.actions:
            out(f"  {a.company}：{a.printed} {a.item} ({a.kind or '?'}) | {a.sentence[:30]}…")
        for warning in p.warnings:
            out(f"warning: {warning.message}")
        for line in p.unparsed:
            out(f"unparsed line {line.number}: {line.text}")
