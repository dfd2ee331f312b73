"""The ledger's history can't be rewritten from the database side either: UPDATE and DELETE on
entries, postings and lot movements raise. (Test databases are emptied with TRUNCATE on
PostgreSQL, which these row triggers don't see.)"""

from django.db import migrations

TABLES = ["fundpool_journalentry", "fundpool_posting", "fundpool_lotmovement"]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(
                """
                CREATE OR REPLACE FUNCTION fundpool_append_only() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION 'ledger table %% is append-only: post a reversing entry instead', TG_TABLE_NAME;
                END;
                $$ LANGUAGE plpgsql;
                """
            )
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION fundpool_append_only();"
            )
        elif vendor == "sqlite":
            for op in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'ledger table {table} is append-only: post a reversing entry instead'); END;"
                )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        elif vendor == "sqlite":
            for op in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op};")


class Migration(migrations.Migration):
    dependencies = [("fundpool", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
