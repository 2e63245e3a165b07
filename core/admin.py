"""What every knowledge-base admin shares: history with readable diffs and revert
(django-reversion), and refusing a save made on a version someone else has changed."""

import difflib
from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets, quote, unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from reversion.admin import VersionAdmin
from reversion.models import Version

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
        # can come between this check and ours.
        current = (
            type(instance)
            ._base_manager.select_for_update()
            .filter(pk=instance.pk)
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

    def get_changelist_form(self, request, **kwargs):
        kwargs.setdefault("form", LockedModelForm)
        return super().get_changelist_form(request, **kwargs)

    def revision_view(self, request, object_id, version_id, extra_context=None):
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

    def history_view(self, request, object_id, extra_context=None):
        opts = self.model._meta
        versions = list(
            Version.objects.get_for_object_reference(self.model, object_id)
            .select_related("revision__user")
            .order_by("-pk")
        )
        rows = []
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
                    "changes": version_changes(self.model, older, version),
                    "is_first": older is None,
                }
            )
        return super().history_view(
            request, object_id, {"version_rows": rows, **(extra_context or {})}
        )


class TermAdmin(KnowledgeAdmin):
    """A vocabulary term (see core.models.Term)."""

    list_display = ["name", "name_en", "slug", "position"]
    search_fields = ["name", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


def version_changes(model, older: Version | None, newer: Version) -> list[Change]:
    """The fields that differ between two stored versions, as readable old/new values."""
    old_fields = older.field_dict if older else {}
    new_fields = newer.field_dict
    changes = []
    for field in model._meta.get_fields():
        if not getattr(field, "concrete", False) or field.primary_key or field.name == "version":
            continue
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
        old_html, new_html = display_pair(field, old, new, first=older is None)
        changes.append(Change(str(field.verbose_name), old_html, new_html))
    return changes


def display_pair(field, old, new, *, first: bool) -> tuple[SafeString, SafeString]:
    if first:
        return mark_safe(""), escape(display_value(field, new))
    old_text, new_text = display_value(field, old), display_value(field, new)
    if isinstance(field, models.TextField | models.CharField) and (
        len(old_text) > 30 or len(new_text) > 30
    ):
        return text_diff(old_text, new_text)
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


def text_diff(old: str, new: str) -> tuple[SafeString, SafeString]:
    """Character-level diff (Chinese has no spaces to split words on): removed text in
    <del> on the old side, added text in <ins> on the new side."""
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    old_parts, new_parts = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            old_parts.append(("{}", old[i1:i2]))
            new_parts.append(("{}", new[j1:j2]))
            continue
        if i2 > i1:
            old_parts.append(("<del>{}</del>", old[i1:i2]))
        if j2 > j1:
            new_parts.append(("<ins>{}</ins>", new[j1:j2]))
    return join_html(old_parts), join_html(new_parts)


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


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(GroupAdmin):
    """The roles. Only a superuser changes what a group may do (migrate resets 编辑 and
    管理员 anyway): else a 管理员 could grant itself what the role does not give."""

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if request.user.is_superuser else (*fields, "permissions")
