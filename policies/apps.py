from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "policies"
    verbose_name = "政策文件"

    # What this app contributes to the knowledge base (see core.apps).
    knowledge_base = True
    seed_fixture = "policies.json"
    # Editors import notices, correct the drafts and publish them (see README).
    editor_models = [
        "notice",
        "heading",
        "measure",
        "issuer",
        "topic",
        "targetgroup",
        "region",
        # A measure's classifications with their evidence, edited inline on the measure.
        "measuretopic",
        "measuretargetgroup",
        "measureregion",
    ]
    # The records whose changes the 最近更新 page lists (see core.models.HistoryKind): the
    # notice whose publication decides whether the public sees them, and what their names
    # and URLs read.
    public_history = {
        "notice": ("", ()),
        "heading": ("notice", ("notice",)),
        "measure": ("notice", ("notice",)),
    }
    # Rows edited on a listed record's page as part of it (see core.models.HistoryPart):
    # a measure's classifications, each named by its term.
    public_history_parts = {
        "measuretopic": ("measure", "topic"),
        "measuretargetgroup": ("measure", "target_group"),
        "measureregion": ("measure", "region"),
    }
