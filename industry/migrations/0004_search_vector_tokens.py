from django.db import migrations

from core.search import recreate_postgresql_index


class Migration(migrations.Migration):
    """The PostgreSQL search vector holds tokens only (no positions or weights)."""

    dependencies = [("industry", "0003_figure_number_integer")]

    operations = [
        migrations.RunPython(recreate_postgresql_index("industry", model), migrations.RunPython.noop)
        for model in ("Paragraph", "Figure", "Company", "Action")
    ]
