"""What every knowledge-base admin shares: history with readable diffs and revert
(django-reversion), and refusing a save made on a version someone else has changed."""

import difflib
import re
from dataclasses import dataclass

import reversion
from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, quote, unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.forms.models import _get_foreign_key
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from reversion.admin import VersionAdmin
from reversion.models import Version

from core.changes import edited_fields
from core.models import EquivalentTerms, Versioned

STALE_MESSAGE = (
    "没有保存：您打开此页面后，{user}已把这条记录改为第 {current} 版（您编辑的是第 {seen} 版）。"
    "为免覆盖他人的修改，请记下您的改动，重新打开此记录后再修改。"
)


class VersionWidget(forms.HiddenInput):
    """The version the editor saw, sent back with the form; shown as text in change lists."""

    def render(self, name, value, attrs=None, renderer=None):
        return format_html(
            '{}<span class="version-number">第 {} 版</span>',
            super().render(name, value, attrs, renderer),
            value or "",
        )

    def id_for_label(self, id_):
        # The label names the version shown as text: a <label for> a hidden input is
        # invalid HTML (and labels nothing).
        return ""


class LockedModelForm(forms.ModelForm):
    """Refuses to save when the record's version changed after the form was opened."""

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if not isinstance(instance, Versioned) or "version" not in self.fields:
            return cleaned
        if instance.pk is None:  # a new record starts at version 1, whatever was sent
            cleaned["version"] = 1
            return cleaned
        seen = cleaned.get("version")
        if seen is None:
            if "version" not in self.errors:
                raise ValidationError(
                    "没有保存：表单缺少版本号。请重新打开此记录后再修改。", code="no-version"
                )
            return cleaned
        # Lock the row until this transaction (the admin's save) ends, so no other save
        # can come between this check and ours. Only this row: the model's default ordering
        # may join a nullable relation (a company's story), and PostgreSQL refuses FOR
        # UPDATE on the nullable side of an outer join.
        current = (
            type(instance)
            ._base_manager.select_for_update(of=("self",))
            .filter(pk=instance.pk)
            .order_by("pk")
            .values_list("version", flat=True)
            .first()
        )
        if current is None:
            raise ValidationError(
                "没有保存：这条记录已被他人删除。可在“历史”中恢复。", code="deleted"
            )
        if seen != current:
            raise ValidationError(
                STALE_MESSAGE.format(
                    user=last_editor(instance) or "他人", current=current, seen=seen
                ),
                code="stale",
            )
        return cleaned


def last_editor(instance) -> str:
    version = Version.objects.get_for_object(instance).select_related("revision__user").first()
    user = version and version.revision.user
    return f"“{user.get_username()}”" if user else ""


class VersionLockMixin:
    """For ModelAdmins and inlines of Versioned models: carry the version in every form."""

    form = LockedModelForm

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "version" and issubclass(db_field.model, Versioned):
            kwargs["widget"] = VersionWidget
            kwargs["required"] = False  # a new record has none yet; clean() checks the rest
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not issubclass(self.model, Versioned) or "version" in flatten_fieldsets(fieldsets):
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options["fields"], "version"]}), *rest]


@dataclass
class Change:
    label: str
    old: SafeString
    new: SafeString


class KnowledgeAdmin(VersionLockMixin, VersionAdmin):
    """Base admin: every save is a revision; history shows who changed what, with a diff."""

    object_history_template = "admin/core/object_history.html"
    history_latest_first = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.follow_inlines()

    def follow_inlines(self) -> None:
        """Make every revision of this model hold its inline rows that are part of it (rows
        without a version number of their own: a measure's classifications, an action's
        quantities). django-reversion does so only for a model that no other admin has
        registered first as its inline: an action (a company's inline) lost its quantities,
        which its history, revert and the changes page then never saw. Inline records with
        a history of their own (a heading's measures) are saved in a revision only when
        edited, so that reverting the heading never reverts them."""
        follow = []
        for inline in self.inlines:
            if issubclass(inline.model, Versioned):
                continue
            model, field = self._reversion_introspect_inline_admin(inline)
            if model is not None:
                self._reversion_autoregister(model, ())
            if field:
                follow.append(field)
        registered = reversion.revisions._get_options(self.model).follow
        if set(follow) - set(registered):
            reversion.unregister(self.model)
            self.reversion_register(self.model, follow=(*registered, *follow))

    def get_changelist_form(self, request, **kwargs):
        kwargs.setdefault("form", LockedModelForm)
        return super().get_changelist_form(request, **kwargs)

    def recover_view(self, request, version_id, extra_context=None):
        version = get_object_or_404(Version, pk=version_id)
        if refusal := missing_references(version):
            messages.error(request, refusal)
            opts = self.model._meta
            return redirect(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_recoverlist"
            )
        return super().recover_view(request, version_id, extra_context)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        version = get_object_or_404(Version, pk=version_id, object_id=unquote(object_id))
        if refusal := missing_references(version):
            messages.error(request, refusal)
            opts = self.model._meta
            return redirect(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_history", object_id
            )
        # The form must carry the version stored now, not the one in the old data being
        # restored, so that a revert is refused like any edit if someone saved meanwhile.
        request.kb_version_before_revert = (
            self.model._base_manager.filter(pk=unquote(object_id))
            .values_list("version", flat=True)
            .first()
        )
        return super().revision_view(request, object_id, version_id, extra_context)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        stored = getattr(request, "kb_version_before_revert", None)
        if obj is not None and stored is not None:
            obj.version = stored
        return obj

    def _reversion_revisionform_view(self, request, version, template_name, extra_context=None):
        # django-reversion restores every record saved in the same revision as this one (the
        # seed saved them all in one), which would silently undo later edits to other
        # records: restore only this record and the inline rows saved with it.
        version.revision.revert = lambda delete=False: restore_record(
            version, self.inline_models(), delete=delete
        )
        return super()._reversion_revisionform_view(request, version, template_name, extra_context)

    def inline_models(self) -> dict:
        """Each inline's model and the name of its key to this admin's model."""
        return {
            inline.model: _get_foreign_key(self.model, inline.model, inline.fk_name).attname
            for inline in self.inlines
        }

    def history_view(self, request, object_id, extra_context=None):
        opts = self.model._meta
        versions = list(
            Version.objects.get_for_object_reference(self.model, object_id)
            .select_related("revision__user")
            .order_by("-pk")
        )
        rows, budget = [], DiffBudget()  # newest first: the latest changes are compared
        for index, version in enumerate(versions):
            older = versions[index + 1] if index + 1 < len(versions) else None
            rows.append(
                {
                    "version": version,
                    "revision": version.revision,
                    "url": reverse(
                        f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_revision",
                        args=(quote(version.object_id), version.pk),
                    ),
                    "changes": version_changes(self.model, older, version, budget),
                    "is_first": older is None,
                }
            )
        return super().history_view(
            request, object_id, {"version_rows": rows, **(extra_context or {})}
        )


def restore_record(version: Version, inline_models: dict, *, delete: bool) -> None:
    """Put back one record as this version holds it, with its inline rows as they were
    saved in the same revision; with `delete`, drop its inline rows added since. Other
    records saved in that revision are left as they are now."""
    rows = [
        other
        for other in version.revision.version_set.exclude(pk=version.pk)
        if other._model in inline_models
        and str(other.field_dict.get(inline_models[other._model])) == version.object_id
    ]
    with transaction.atomic(using=version.db):
        version.revert()
        if delete:
            for model, key in inline_models.items():
                kept = [row.object_id for row in rows if row._model is model]
                model._base_manager.filter(**{key: version.object_id}).exclude(pk__in=kept).delete()
        for row in rows:
            row.revert()


def missing_references(version: Version) -> SafeString | None:
    """Why this version cannot be restored, if it refers to records that have been deleted
    since (a measure's heading): which ones, to recover first. None when it can be."""
    model, data = version._model, version.field_dict
    missing = []
    for field in model._meta.get_fields():
        if not (field.is_relation and getattr(field, "concrete", False)) or field.auto_created:
            continue
        if not (field.many_to_one or field.one_to_one or field.many_to_many):
            continue
        value = data.get(field.attname)
        wanted = set(value or []) if field.many_to_many else {value} - {None}
        related = field.related_model
        found = set(related._base_manager.filter(pk__in=wanted).values_list("pk", flat=True))
        missing.extend((related, pk) for pk in wanted - found)
    if not missing:
        return None
    return format_html(
        "没有恢复：“{}”所指的记录已被删除：{}。请先恢复这些记录，再恢复此{}。",
        version.object_repr,
        format_html_join("、", "{}", ((deleted_record_link(r, pk),) for r, pk in missing)),
        model._meta.verbose_name,
    )


def deleted_record_link(model, pk) -> SafeString:
    """A deleted record by its kind and name, linked to where it can be recovered."""
    opts = model._meta
    deleted = Version.objects.get_deleted(model).filter(object_id=str(pk)).first()
    name = deleted.object_repr if deleted else f"#{pk}"
    if deleted is None or not admin.site.is_registered(model):
        return format_html("{}“{}”", opts.verbose_name, name)
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_recover", args=[deleted.pk])
    return format_html('{}“<a href="{}">{}</a>”', opts.verbose_name, url, name)


class TermAdmin(KnowledgeAdmin):
    """A vocabulary term (see core.models.Term)."""

    list_display = ["name", "name_en", "slug", "position"]
    search_fields = ["name", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


def version_changes(
    model, older: Version | None, newer: Version, budget: "DiffBudget | None" = None
) -> list[Change]:
    """The fields a person edits that differ between two stored versions, as readable
    old/new values. Fields no form shows (search token streams, values derived on save,
    the version number) are left out: they are noise to a reader, and the token streams,
    several times the text's length, made the diff cost minutes."""
    old_fields = older.field_dict if older else {}
    new_fields = newer.field_dict
    changes = []
    for field in edited_fields(model):
        key = field.attname
        if key not in new_fields:
            continue
        old, new = old_fields.get(key), new_fields.get(key)
        if older is not None and old == new:
            continue
        if (
            isinstance(field, models.ManyToManyField)
            and older is not None
            and sorted(old or []) == sorted(new or [])
        ):
            continue
        old_html, new_html = display_pair(field, old, new, first=older is None, budget=budget)
        changes.append(Change(str(field.verbose_name), old_html, new_html))
    return changes


def display_pair(
    field, old, new, *, first: bool, budget: "DiffBudget | None" = None
) -> tuple[SafeString, SafeString]:
    if first:
        return mark_safe(""), escape(display_value(field, new))
    old_text, new_text = display_value(field, old), display_value(field, new)
    if isinstance(field, models.TextField | models.CharField) and (
        len(old_text) > 30 or len(new_text) > 30
    ):
        return text_diff(old_text, new_text, budget)
    return escape(old_text), escape(new_text)


def display_value(field, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(field, models.ManyToManyField):
        names = {obj.pk: str(obj) for obj in field.related_model._base_manager.filter(pk__in=value)}
        return "、".join(names.get(pk, f"#{pk}（已删除）") for pk in value) or "—"
    if isinstance(field, models.ForeignKey):
        obj = field.related_model._base_manager.filter(pk=value).first()
        return str(obj) if obj else f"#{value}（已删除）"
    if isinstance(field, models.BooleanField):
        return "是" if value else "否"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


# What a history diff may cost, whatever the texts: beyond DIFF_MAX_CHARS on a side the page
# says the text is too long to compare; sentences are matched first, and characters are
# compared only within a changed passage of at most CHAR_DIFF_MAX_PASSAGE characters a side,
# for at most CHAR_DIFF_BUDGET character comparisons in all (SequenceMatcher is quadratic).
DIFF_MAX_CHARS = 20_000
CHAR_DIFF_MAX_PASSAGE = 1_000
CHAR_DIFF_BUDGET = 2_000_000
# What all the diffs of one history page may compare together, sentence by sentence.
PAGE_DIFF_MAX_CHARS = 100_000
# A passage whose character diff is confetti (many pieces, little in common) reads better
# as removed and added whole.
CHAR_DIFF_MAX_PIECES = 12
CHAR_DIFF_MIN_RATIO = 0.5
SENTENCE_END = re.compile(r"(?<=[。！？；!?;\n])")


class DiffBudget:
    """What the diffs of one page may cost together: characters compared sentence by
    sentence, and character comparisons within changed passages. A history page shares one,
    so its cost stays bounded however many long versions it lists."""

    def __init__(self, chars: int = PAGE_DIFF_MAX_CHARS, comparisons: int = CHAR_DIFF_BUDGET):
        self.chars, self.comparisons = chars, comparisons


def text_diff(
    old: str, new: str, budget: DiffBudget | None = None
) -> tuple[SafeString, SafeString]:
    """Removed text in <del> on the old side, added text in <ins> on the new side: changed
    sentences first, then the characters within them (Chinese has no spaces to split words
    on). The cost stays bounded for any texts (see DIFF_MAX_CHARS), and for a page of them
    when they share a budget."""
    budget = budget or DiffBudget()
    if len(old) > DIFF_MAX_CHARS or len(new) > DIFF_MAX_CHARS:
        return too_long(
            _("文字太长（{old} 字 / {new} 字），不逐字比较；请打开这两个版本对照。").format(
                old=len(old), new=len(new)
            )
        )
    if len(old) + len(new) > budget.chars:
        return too_long(_("本页已比较了足够多的长文字，此处不再逐字比较；请打开这两个版本对照。"))
    budget.chars -= len(old) + len(new)
    old_parts, new_parts = [], []
    a, b = sentences(old), sentences(new)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b).get_opcodes():
        old_passage, new_passage = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag == "equal":
            old_parts.append(("{}", old_passage))
            new_parts.append(("{}", new_passage))
            continue
        cost = len(old_passage) * len(new_passage)
        if (
            tag == "replace"
            and max(len(old_passage), len(new_passage)) <= CHAR_DIFF_MAX_PASSAGE
            and cost <= budget.comparisons
        ):
            budget.comparisons -= cost
            pieces = char_diff(old_passage, new_passage)
            if pieces:
                old_parts.extend(pieces[0])
                new_parts.extend(pieces[1])
                continue
        if old_passage:
            old_parts.append(("<del>{}</del>", old_passage))
        if new_passage:
            new_parts.append(("<ins>{}</ins>", new_passage))
    return join_html(old_parts), join_html(new_parts)


def too_long(message: str) -> tuple[SafeString, SafeString]:
    note = format_html('<span class="diff-too-long">{}</span>', message)
    return note, note


def sentences(text: str) -> list[str]:
    return [part for part in SENTENCE_END.split(text) if part]


def char_diff(old: str, new: str) -> tuple[list, list] | None:
    """A changed passage's character diff, or None where it would be confetti."""
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    opcodes = matcher.get_opcodes()
    changed = sum(tag != "equal" for tag, *_ in opcodes)
    if changed > CHAR_DIFF_MAX_PIECES or matcher.ratio() < CHAR_DIFF_MIN_RATIO:
        return None
    old_parts, new_parts = [], []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            old_parts.append(("{}", old[i1:i2]))
            new_parts.append(("{}", new[j1:j2]))
            continue
        if i2 > i1:
            old_parts.append(("<del>{}</del>", old[i1:i2]))
        if j2 > j1:
            new_parts.append(("<ins>{}</ins>", new[j1:j2]))
    return old_parts, new_parts


def join_html(parts: list[tuple[str, str]]) -> SafeString:
    return format_html_join("", "{}", ((format_html(fmt, text),) for fmt, text in parts))


@admin.register(EquivalentTerms)
class EquivalentTermsAdmin(KnowledgeAdmin):
    """The search's list of other names for things (editorial)."""

    list_display = ["terms", "note"]
    search_fields = ["terms", "note"]


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class AccountAdmin(UserAdmin):
    """User accounts. A 管理员 manages the others' accounts and roles, but only a superuser
    may grant or withdraw superuser status, or change (or reset the password of, or delete)
    a superuser's account: else a 管理员 could make itself one."""

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if not request.user.is_superuser:
            # Roles are groups; single permissions would let a 管理员 grant what it lacks.
            return (*fields, "is_superuser", "user_permissions")
        return fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LoginAttemptAdmin(AccessAttemptAdmin):
    """django-axes' login attempts with a Chinese name for the status column (a method,
    which no catalogue translates; the rest is in locale/zh_Hans)."""

    @admin.display(description="状态")
    def status(self, obj):
        return super().status(obj)


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(GroupAdmin):
    """The roles. Only a superuser changes what a group may do (migrate resets 编辑 and
    管理员 anyway): else a 管理员 could grant itself what the role does not give."""

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if request.user.is_superuser else (*fields, "permissions")
