"""On PostgreSQL: a GIN index (jsonb_path_ops) on Entity.body for the field filter.

The filter is a containment query (body @> '{"type": "pump"}'), which this
index answers; SQLite has no such index and filters with json_extract.
"""

from django.db import migrations

INDEX = "documents_entity_body_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON documents_app_entity "
            "USING gin (body jsonb_path_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("documents_app", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
