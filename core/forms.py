"""The first step of every import in the admin: the text, pasted or uploaded."""

from django import forms
from django.core.exceptions import ValidationError

from core.importing import MAX_BYTES, Unreadable, check_text, read_upload, too_large

PASTED = "粘贴的文本"


class SourceForm(forms.Form):
    text = forms.CharField(
        label="粘贴全文",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 80}),
        help_text="从网页、PDF 或 Word 文件复制全文粘贴在这里；或者上传文件。",
    )
    file = forms.FileField(
        label="或上传文件",
        required=False,
        help_text=f".txt（UTF-8 或 GBK 编码）或 .docx，不超过 {MAX_BYTES // 1024 // 1024} MB。",
    )

    def clean(self):
        cleaned = super().clean()
        upload, text = cleaned.get("file"), cleaned.get("text") or ""
        try:
            if upload:
                if upload.size > MAX_BYTES:  # refused before reading it
                    raise too_large(upload.size)
                cleaned["source_text"] = read_upload(upload.name, upload.read())
                cleaned["source_name"] = upload.name
            elif text.strip():
                cleaned["source_text"] = check_text(text)
                cleaned["source_name"] = PASTED
            else:
                raise ValidationError("请粘贴全文，或上传一个文件。", code="empty")
        except Unreadable as exc:
            raise ValidationError(str(exc), code="unreadable") from exc
        return cleaned
