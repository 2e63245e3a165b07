from django.apps import AppConfig


class IndustryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "industry"
    verbose_name = "行业资讯"

    # What this app contributes to the knowledge base (see core.apps). Its seed fixture
    # links actions to policy measures, so it loads after the policies app's.
    knowledge_base = True
    seed_fixture = "industry.json"
    # Editors import articles, correct the drafts and publish them (see README).
    editor_models = [
        "article",
        "section",
        "paragraph",
        "figure",
        "company",
        "action",
        "actionquantity",
        "product",
        "indicator",
        "actionkind",
        "place",
    ]
    # The records whose changes the 最近更新 page lists (see core.models.HistoryKind): the
    # article whose publication decides whether the public sees them (a company told of in
    # no article and a product always show), and what their names and URLs read.
    public_history = {
        "article": ("", ()),
        "section": ("article", ("article",)),
        "paragraph": ("section__article", ("section__article",)),
        "figure": ("section__article", ("product", "indicator")),
        "company": ("story__article", ()),
        "action": ("paragraph__section__article", ("company", "kind")),
        "product": (None, ()),
    }
    # Rows edited on a listed record's page as part of it (see core.models.HistoryPart):
    # an action's other quantities, each named by its phrase as printed.
    public_history_parts = {"actionquantity": ("action", "phrase")}
