"""A queryset's SQL made once and run again with other values (core.statements.Statement).

Building a query's SQL with the ORM takes longer than PostgreSQL or SQLite take to run it
when the query has subqueries (a measure's page: four, 1 ms of the page's 5): a page that
runs the same query for every visitor with other values can keep its SQL."""

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators


class Statement:
    """`queryset` filtered on `placeholders` (lookup → a sample value no record holds),
    compiled once; `get(**values)` runs it with these lookups' values and gives the model
    instance (with its select_related records and annotations) or None, as
    `queryset.get(**values)` would (None for DoesNotExist) without building the SQL again.
    The sample values must stand in the SQL once each, and no other parameter equal them.

    The compiled columns (what the ORM reads each row with) are kept; each run makes its
    own compiler on the database connection of its thread."""

    def __init__(self, queryset: QuerySet, placeholders: dict):
        self.queryset = queryset.filter(**placeholders)
        compiler = self.queryset.query.get_compiler(self.queryset.db)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.positions, self.fields = {}, {}
        for name, sample in placeholders.items():
            self.fields[name] = field_of(queryset.model, name)
            found = [i for i, value in enumerate(self.params) if value == sample]
            if len(found) != 1:
                raise ValueError(f"{name}'s sample value stands {len(found)} times in the SQL")
            self.positions[name] = found[0]
        self.select, self.klass_info = compiler.select, compiler.klass_info
        self.annotation_col_map, self.col_count = compiler.annotation_col_map, compiler.col_count

    def get(self, **values):
        params = self.params[:]
        for name, value in values.items():
            try:  # a value the column cannot hold (a number past its range) is no record's
                self.fields[name].run_validators(value)
            except ValidationError:
                return None
            params[self.positions[name]] = value
        db = self.queryset.db
        with connections[db].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchmany(2)
        if not rows:
            return None
        if len(rows) > 1:
            raise self.queryset.model.MultipleObjectsReturned(f"{len(rows)} or more rows")
        compiler = self.queryset.query.get_compiler(db)
        compiler.select, compiler.klass_info = self.select, self.klass_info
        compiler.annotation_col_map, compiler.col_count = self.annotation_col_map, self.col_count
        (row,) = compiler.results_iter(results=[rows])
        # As django.db.models.query.ModelIterable makes each instance.
        fields = self.klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        names = [column[0].target.attname for column in self.select[start:end]]
        instance = self.klass_info["model"].from_db(db, names, row[start:end])
        for populator in get_related_populators(self.klass_info, self.select, db):
            populator.populate(row, instance)
        for name, position in self.annotation_col_map.items():
            setattr(instance, name, row[position])
        return instance


def field_of(model, lookup: str):
    """The field a lookup such as "notice__slug" ends on."""
    *relations, name = lookup.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)
