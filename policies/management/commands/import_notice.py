from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.importing import Unreadable, read_upload
from policies.forms import proposal_initial
from policies.importer import KnownIssuer, NoticeProposal, propose_notice
from policies.models import Notice
from policies.services import notice_import


class Command(BaseCommand):
    help = (
        "Read a notice's text (.txt or .docx) and print what it proposes: header fields, "
        "headings, measures, closing, signature, warnings and unparsed lines. Without "
        "--dry-run, store it as a draft (as the admin's 从文本导入 does), provided nothing "
        "is missing that only an editor can supply."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="print the proposal only")

    def handle(self, *args, file: Path, dry_run: bool, **options):
        try:
            text = read_upload(file.name, file.read_bytes())
            proposal = propose_notice(text, KnownIssuer.from_database())
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from exc
        except Unreadable as exc:
            raise CommandError(f"{file}: {exc}") from exc
        self.print_proposal(proposal)
        if dry_run:
            self.stdout.write("\n--dry-run: nothing stored.")
            return
        if Notice.objects.filter(doc_number=proposal.doc_number).exists():
            raise CommandError(f"本库已有发文字号为“{proposal.doc_number}”的通知：不重复导入。")
        missing = [m.number for m in proposal.measures if not m.title]
        if missing or not (proposal.issued_on and proposal.level and proposal.doc_type):
            raise CommandError(
                "没有保存：有需要编者补充的内容（没有小标题的措施："
                f"{'、'.join(map(str, missing)) or '无'}；成文日期、层级或文种）。"
                "请用后台“通知 › 从文本导入”页面导入，在预览中补上。"
            )
        notice = notice_import(
            notice=proposal_initial(proposal, text, file.name) | {"official_url": ""},
            headings=[vars(h) for h in proposal.headings],
            measures=[{**vars(m), "title_is_editorial": False} for m in proposal.measures],
            user=None,
            source_name=file.name,
        )
        self.stdout.write(self.style.SUCCESS(f"\nStored as a draft: {notice} (/{notice.slug}/)."))

    def print_proposal(self, p: NoticeProposal) -> None:
        out = self.stdout.write
        for label, value in [
            ("发文字号", p.doc_number),
            ("标题", p.title),
            ("发文机关", p.issuing_body),
            ("词表中的机关", "、".join(p.issuers) or "—"),
            ("新机关", "、".join(p.new_issuers) or "—"),
            ("层级", f"{p.level}{'（编者判断）' if p.level_is_editorial else ''}"),
            ("文种", f"{p.doc_type}{'（编者判断）' if p.doc_type_is_editorial else ''}"),
            ("成文日期", p.issued_on),
            ("主送机关", p.addressees),
            ("导语", p.preamble),
        ]:
            out(f"{label}：{value or '—'}")
        for heading in p.headings:
            out(f"\n标题 {heading.ordinal}：{heading.title or '（无）'}")
            for m in p.measures:
                if m.heading == heading.ordinal:
                    out(f"  {m.number}. {m.title or '（无小标题）'} | {m.text[:40]}…")
        for label, value in [
            ("结束语", p.closing),
            ("落款", p.signature),
            ("落款日期", p.signature_date),
            ("删减说明", p.abridged_note),
        ]:
            out(f"{label}：{value or '—'}")
        out(f"\n{len(p.headings)} headings, {len(p.measures)} measures.")
        for warning in p.warnings:
            out(f"warning: {warning.message}")
        for line in p.unparsed:
            out(f"unparsed line {line.number}: {line.text}")
