"""What changed, for the public: the 最近更新 page, the Atom feeds and each page's last
update, made from the edit history.

When django-reversion saves a revision, each version of a record that an app lists in
`public_history` (see core.models.HistoryKind) is compared with that record's previous
version and kept as a `Change`: which fields a person edits differ (never their values), and
whether the record was public then; with the rows edited on its page as part of it (a
measure's classifications, see core.models.HistoryPart), which of them were added, removed or
changed, by name (信贷, not its evidence). A deletion is kept the same way. Readers get only
`Change.objects.public()`; the editor and the comment stay in the admin's history, shown
on the changes page to staff alone.
"""

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.syndication.views import Feed
from django.db import models
from django.db.models import Max
from django.db.models.signals import post_delete, pre_delete
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext, gettext_lazy, pgettext
from reversion.models import Revision, Version
from reversion.signals import post_revision_commit

from core.models import Change, HistoryKind, HistoryPart, history_kinds, history_parts
from core.text import english

# Changes in a feed: the newest this many.
FEED_SIZE = 50
# Records compared at once when a revision is saved (each batch a few queries).
BATCH = 500


def edited_fields(model) -> list[models.Field]:
    """The fields a person edits in the admin: not the search token streams, values
    derived on save or the version number."""
    return [
        field
        for field in model._meta.get_fields()
        if getattr(field, "concrete", False)
        and field.editable
        and not field.primary_key
        and field.name != "version"
    ]


def differs(field: models.Field, old, new) -> bool:
    if isinstance(field, models.ManyToManyField):
        return sorted(old or []) != sorted(new or [])
    return old != new


def changed_fields(model, older: Version, newer: Version) -> list[str]:
    """The names (attnames) of the edited fields that differ between two versions."""
    old, new = older.field_dict, newer.field_dict
    return [
        field.attname
        for field in edited_fields(model)
        if field.attname in new and differs(field, old.get(field.attname), new[field.attname])
    ]


@dataclass
class Governance:
    """Who decides whether the public sees a record, and whether it does now."""

    model: type | None
    pk: str
    public: bool


def governance(kind: HistoryKind, ids: list) -> dict[str, Governance]:
    """Each record's governing notice or article and whether the public sees the record
    (one query for all of them)."""
    model, path = kind.governed_by, kind.publication
    if model is None:
        return {str(pk): Governance(None, "", True) for pk in ids}
    prefix = "" if path == "" else f"{path}__"
    rows = kind.model._base_manager.filter(pk__in=ids).values_list(
        "pk", f"{prefix}pk", f"{prefix}status"
    )
    published = model.Status.PUBLISHED
    return {
        str(pk): Governance(model, str(governor), status == published)
        if governor is not None
        else Governance(None, "", True)  # a company told of in no article
        for pk, governor, status in rows
    }


def record_revision(sender, revision: Revision, versions: list[Version], **kwargs) -> None:
    """After a revision is saved: a Change for each listed record it adds or changes (a
    record saved unchanged, as inline rows are, is left out; one whose inline rows changed
    is not). A few queries per model."""
    kinds, parts = history_kinds(), history_parts()
    by_model = defaultdict(list)
    part_versions = defaultdict(list)  # (record's model, record's id): its rows' versions
    for version in versions:
        model = version.content_type.model_class()
        if model in kinds:
            by_model[model].append(version)
        elif model in parts:
            part_versions[parts[model].record_model, record_id(parts[model], version)].append(
                version
            )
    changes = []
    for model, model_versions in by_model.items():
        for start in range(0, len(model_versions), BATCH):  # a seed's revision holds thousands
            batch = model_versions[start : start + BATCH]
            rows = {v.object_id: part_versions[model, v.object_id] for v in batch}
            changes.extend(changes_in(kinds[model], revision, batch, rows))
    Change.objects.bulk_create(changes, batch_size=BATCH)


def record_id(part: HistoryPart, version: Version) -> str:
    """The id of the listed record that this version of one of its rows belongs to."""
    return str(version.field_dict.get(part.model._meta.get_field(part.record).attname))


def changes_in(
    kind: HistoryKind, revision: Revision, versions: list[Version], rows: dict[str, list]
) -> list[Change]:
    """The changes that these versions of one model's records make, with `rows` the
    versions of each record's rows saved with it (three queries, and for records with
    rows, one more and one per kind of term that names them)."""
    ids = [version.object_id for version in versions]
    previous = previous_versions(versions[0].content_type, ids, revision)
    governed = governance(kind, ids)
    earlier_rows = previous_rows(kind.model, list(previous.values()))
    named = RowNames()
    changes = []
    for version in versions:
        older = previous.get(version.object_id)
        fields = changed_fields(kind.model, older, version) if older else []
        if older:
            before = earlier_rows.get((older.revision_id, older.object_id), [])
            fields += named.row_changes(before, rows.get(version.object_id, []))
        if older and not fields:
            continue
        how = governed.get(version.object_id, Governance(None, "", False))
        changes.append(
            Change(
                date=revision.date_created,
                action=Change.Action.CHANGED if older else Change.Action.ADDED,
                content_type=version.content_type,
                object_id=version.object_id,
                object_repr=version.object_repr[:200],
                fields=fields,
                governed_by_type=how.model and ContentType.objects.get_for_model(how.model),
                governed_by_id=how.pk,
                public=how.public,
                revision=revision,
            )
        )
    named.resolve()
    return changes


def previous_rows(model, olders: list[Version]) -> dict[tuple, list[Version]]:
    """The rows (see HistoryPart) saved with each of these earlier versions of `model`'s
    records, by (revision, record id): one query."""
    parts = [part for part in history_parts().values() if part.record_model is model]
    if not parts or not olders:
        return {}
    by_model = {part.model: part for part in parts}
    found = defaultdict(list)
    for version in Version.objects.filter(
        revision_id__in={older.revision_id for older in olders},
        content_type__in=ContentType.objects.get_for_models(*by_model).values(),
    ).select_related("content_type"):
        part = by_model[version._model]
        found[version.revision_id, record_id(part, version)].append(version)
    return found


class RowNames:
    """What changed among a record's rows, each named by its `named_by` field: a term's
    names in both languages (looked up at once for a batch, by `resolve`), or text."""

    def __init__(self):
        self.terms = defaultdict(set)  # term model: ids
        self.pending = []  # (term model, id, the name's dict to fill)

    def row_changes(self, before: list[Version], after: list[Version]) -> list[dict]:
        """One entry per kind of row that changed: {"part": label, "added": [names],
        "removed": [...], "changed": [...]}, each name {"name", "name_en"}."""
        result = []
        for model, part in history_parts().items():
            old = {v.object_id: v for v in before if v._model is model}
            new = {v.object_id: v for v in after if v._model is model}
            if not old and not new:
                continue
            added, removed, changed = [], [], []
            for pk in old.keys() - new.keys():
                removed.append(self.name(part, old[pk]))
            for pk, version in new.items():
                if pk not in old:
                    added.append(self.name(part, version))
                elif self.value(part, old[pk]) != self.value(part, version):
                    removed.append(self.name(part, old[pk]))  # a row moved to another term
                    added.append(self.name(part, version))
                elif changed_fields(model, old[pk], version):
                    changed.append(self.name(part, version))
            if added or removed or changed:
                entry = {"part": model._meta.label_lower}
                for key, names in [("added", added), ("removed", removed), ("changed", changed)]:
                    if names:
                        entry[key] = names
                result.append(entry)
        return result

    @staticmethod
    def value(part: HistoryPart, version: Version):
        return version.field_dict.get(part.model._meta.get_field(part.named_by).attname)

    def name(self, part: HistoryPart, version: Version) -> dict:
        field = part.model._meta.get_field(part.named_by)
        value = self.value(part, version)
        if not field.is_relation:
            return {"name": str(value)}
        name = {"name": f"#{value}"}  # until resolved; kept if the term is gone
        self.terms[field.related_model].add(value)
        self.pending.append((field.related_model, value, name))
        return name

    def resolve(self) -> None:
        """The terms' names, a query per kind of term."""
        found = {
            model: model._base_manager.in_bulk(ids) for model, ids in self.terms.items() if ids
        }
        for model, pk, name in self.pending:
            term = found[model].get(pk)
            if term is not None:
                name["name"] = str(term)
                name["name_en"] = getattr(term, "name_en", "")


def previous_versions(content_type, ids: list[str], revision: Revision) -> dict[str, Version]:
    """Each record's version before this revision, if any."""
    latest = (
        Version.objects.filter(
            content_type=content_type, object_id__in=ids, revision_id__lt=revision.pk
        )
        .values("object_id")
        .annotate(last=Max("pk"))
        .values_list("last", flat=True)
    )
    return {version.object_id: version for version in Version.objects.filter(pk__in=latest)}


def remember_governance(sender, instance, **kwargs) -> None:
    """Before a listed record is deleted: whether the public sees it, while it can be told."""
    kind = history_kinds()[sender]
    instance._change_governance = governance(kind, [instance.pk]).get(str(instance.pk))
    instance._change_repr = str(instance)[:200]


def record_deletion(sender, instance, **kwargs) -> None:
    how = getattr(instance, "_change_governance", None) or Governance(None, "", False)
    Change.objects.create(
        date=timezone.now(),
        action=Change.Action.DELETED,
        content_type=ContentType.objects.get_for_model(sender),
        object_id=str(instance.pk),
        object_repr=getattr(instance, "_change_repr", "")[:200],
        governed_by_type=how.model and ContentType.objects.get_for_model(how.model),
        governed_by_id=how.pk,
        public=how.public,
    )


def watch_history() -> None:
    """Called once the apps are loaded (CoreConfig.ready)."""
    post_revision_commit.connect(record_revision, dispatch_uid="core-changes-revision")
    for model in history_kinds():
        uid = f"core-changes-{model._meta.label}"
        pre_delete.connect(remember_governance, sender=model, dispatch_uid=uid)
        post_delete.connect(record_deletion, sender=model, dispatch_uid=uid)


@dataclass
class Entry:
    """A change as a reader sees it: the record (None once deleted) and what changed."""

    change: Change
    record: models.Model | None
    kind: str = ""
    fields: list[str] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)

    @property
    def date(self) -> datetime:
        return self.change.date

    @property
    def name(self) -> str:
        return str(self.record) if self.record is not None else self.change.object_repr

    @property
    def deleted(self) -> bool:
        return self.record is None

    @property
    def url(self) -> str:
        return "" if self.record is None else self.record.get_absolute_url()

    @property
    def editorial_title(self) -> bool:
        return bool(getattr(self.record, "title_is_editorial", False))

    @property
    def summary(self) -> str:
        """新增 / 删除, or which fields changed (正文、标题 修改) and which rows (政策工具/主题
        新增：信贷), in the page's language."""
        action = self.change.Action
        if self.change.action == action.DELETED:
            return gettext("删除")
        if self.change.action == action.ADDED:
            return gettext("新增")
        pieces = list(self.rows)
        if self.fields:
            pieces.insert(
                0, gettext("{fields} 修改").format(fields=gettext("、").join(self.fields))
            )
        summary = gettext("；").join(pieces)
        return summary[:1].upper() + summary[1:]  # English: "Title, text changed"


def entries(changes) -> list[Entry]:
    """The changes with their records, which link to them: one query per kind of record
    on the page, however many changes it lists."""
    changes = list(changes)
    kinds = history_kinds()
    wanted = defaultdict(set)
    for change in changes:
        if change.action != Change.Action.DELETED:
            wanted[change.content_type_id].add(change.object_id)
    records = {}
    for content_type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model not in kinds:
            continue
        found = model._base_manager.select_related(*kinds[model].related).in_bulk(ids)
        records.update({(content_type_id, str(pk)): obj for pk, obj in found.items()})
    result = []
    for change in changes:
        model = ContentType.objects.get_for_id(change.content_type_id).model_class()
        result.append(
            Entry(
                change,
                records.get((change.content_type_id, change.object_id)),
                kind=translated(KIND_CONTEXT, model._meta.verbose_name) if model else "",
                fields=field_labels(model, [f for f in change.fields if isinstance(f, str)]),
                rows=row_labels([f for f in change.fields if isinstance(f, dict)]),
            )
        )
    return result


def field_labels(model, names: list[str]) -> list[str]:
    """The fields' labels in the page's language; a field removed since is left out."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields} if model else {}
    return [
        translated(FIELD_CONTEXT, by_attname[name].verbose_name)
        for name in names
        if name in by_attname
    ]


ROW_CHANGES = {
    "added": gettext_lazy("{rows} 新增：{names}"),
    "removed": gettext_lazy("{rows} 删除：{names}"),
    "changed": gettext_lazy("{rows} 修改：{names}"),
}


def row_labels(entries: list[dict]) -> list[str]:
    """What changed among a record's rows (RowNames.row_changes), in the page's language:
    政策工具/主题 新增：信贷、培训. A kind of row removed since is left out."""
    parts = {part.model._meta.label_lower: part for part in history_parts().values()}
    labels = []
    for entry in entries:
        part = parts.get(entry.get("part"))
        if part is None:
            continue
        rows = translated(FIELD_CONTEXT, part.label)
        for key, wording in ROW_CHANGES.items():
            if entry.get(key):
                names = gettext("、").join(
                    (english() and name.get("name_en")) or name["name"] for name in entry[key]
                )
                labels.append(str(wording).format(rows=rows, names=names))
    return labels


# The changes page's own wording of kinds of record and of fields: 标题 is a kind of record
# (a notice's heading) and a field (a measure's title), and elsewhere in the catalogue the
# plural "Headings".
KIND_CONTEXT, FIELD_CONTEXT = "更新的记录类别", "更新的字段"


def translated(context: str, label) -> str:
    """A kind's or a field's name (a model's verbose name, lazy or not) in the page's
    language, looked up by its Chinese."""
    with translation.override(settings.LANGUAGE_CODE):
        chinese = str(label)
    text = pgettext(context, chinese)
    return text if text != chinese else gettext(chinese)


class ChangeFeed(Feed):
    """An Atom feed of public changes, newest first, each entry linking to the changed
    record's page (or, for a deleted record, to the changes page)."""

    feed_type = Atom1Feed
    description = gettext_lazy("政策与行业知识库中记录的新增、修改和删除。")

    def changes(self, obj):
        return Change.objects.public()

    def items(self, obj):
        return entries(self.changes(obj).newest_first()[:FEED_SIZE])

    def item_title(self, entry: Entry) -> str:
        flag = gettext("（编者拟定标题）") if entry.editorial_title else ""
        return f"{entry.kind} {entry.name}{flag}：{entry.summary}"

    def item_description(self, entry: Entry) -> str:
        return entry.summary

    def item_link(self, entry: Entry) -> str:
        return entry.url or f"{reverse('changes')}#change-{entry.change.pk}"

    def item_guid(self, entry: Entry) -> str:
        return f"{self.request.build_absolute_uri(reverse('changes'))}#change-{entry.change.pk}"

    item_guid_is_permalink = False

    def item_updateddate(self, entry: Entry) -> datetime:
        return entry.date

    def item_pubdate(self, entry: Entry) -> datetime:
        return entry.date

    def __call__(self, request, *args, **kwargs):
        # One feed object serves every request: the request goes on a copy of it.
        feed = copy.copy(self)
        feed.request = request
        return super(ChangeFeed, feed).__call__(request, *args, **kwargs)


def fill_from_history(using="default", **kwargs) -> None:
    """After every migrate: a site whose history predates the changes page gets its
    changes made from that history once (whether a record was public is judged now)."""
    if Change.objects.using(using).exists() or not Version.objects.using(using).exists():
        return
    for revision in Revision.objects.using(using).order_by("pk").iterator(chunk_size=100):
        record_revision(None, revision, list(revision.version_set.select_related("content_type")))
