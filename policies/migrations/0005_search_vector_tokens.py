from django.db import migrations

from core.search import recreate_postgresql_index


class Migration(migrations.Migration):
    """The PostgreSQL search vector holds tokens only (no positions or weights)."""

    dependencies = [("policies", "0004_measure_search")]

    operations = [
        migrations.RunPython(recreate_postgresql_index("policies", "Measure"), migrations.RunPython.noop)
    ]
