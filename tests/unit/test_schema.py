"""The peewee models and the migrated schema agree, on SQLite and PostgreSQL.

``playhouse.schema_diff.diff_models`` compares tables, columns and indexes; nullability
and foreign keys are compared here too, and on SQLite the column types against a
database created straight from the models.
"""

from __future__ import annotations

import peewee
import pytest
from playhouse.migrations import Runner
from playhouse.schema_diff import diff_models

from kiosk.model import db as kdb
from kiosk.model.tables import MODELS, Item, Stock, Warehouse

MIGRATION_TABLE = "schema_migration"


@pytest.fixture
def database(db_url):
    database = kdb.connect(db_url)
    yield database
    kdb.close()


def model_foreign_keys(model) -> set:
    return {
        (fk.column_name, fk.rel_model._meta.table_name, fk.rel_field.column_name, (fk.on_delete or "NO ACTION").upper())
        for fk in model._meta.refs
    }


def database_foreign_keys(database, table: str) -> set:
    return {(fk.column, fk.dest_table, fk.dest_column, (fk.on_delete or "NO ACTION").upper()) for fk in database.get_foreign_keys(table)}


def test_models_and_migrated_schema_agree(database):
    diff = diff_models(database, MODELS)
    assert not diff, str(diff)
    assert set(database.get_tables()) == {m._meta.table_name for m in MODELS} | {MIGRATION_TABLE}
    for model in MODELS:
        table = model._meta.table_name
        nullable = {c.name: c.null for c in database.get_columns(table)}
        assert nullable == {f.column_name: f.null for f in model._meta.sorted_fields}, table
        assert database_foreign_keys(database, table) == model_foreign_keys(model), table


def test_migrating_twice_is_a_no_op(database):
    names = [m.name for m in Runner(database, directory=str(kdb.MIGRATIONS)).status()]
    assert kdb.schema_version(database) == names and names
    assert kdb.migrate_schema(database) == []
    assert Runner(database, directory=str(kdb.MIGRATIONS)).up() == []
    assert kdb.schema_version(database) == names
    assert not diff_models(database, MODELS)


def test_sqlite_column_types_match_tables_created_from_the_models(sqlite_url, tmp_path):
    migrated = kdb.connect(sqlite_url)
    try:
        fresh = peewee.SqliteDatabase(str(tmp_path / "models.db"))
        with fresh.bind_ctx(MODELS):
            fresh.create_tables(MODELS)
        for model in MODELS:
            table = model._meta.table_name

            def columns(database):
                return sorted((c.name, c.data_type.upper(), c.null, c.primary_key) for c in database.get_columns(table))

            assert columns(migrated) == columns(fresh), table
        fresh.close()
    finally:
        kdb.close()


def test_sqlite_pragmas_are_in_force(sqlite_url):
    database = kdb.connect(sqlite_url)
    try:
        def pragma(name: str):
            return database.execute_sql(f"PRAGMA {name}").fetchone()[0]

        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == kdb.SQLITE_PRAGMAS["busy_timeout"] > 0
        # foreign keys are enforced, not only declared
        with pytest.raises(peewee.IntegrityError):
            with database.atomic():
                Stock.insert(item=12345, warehouse=67890, on_hand=0, serials_in_stock=0).execute()
        warehouse = Warehouse.create(code="MAIN")
        item = Item.create(sku="X", name="x", unit="pcs")
        Stock.create(item=item, warehouse=warehouse)
        assert Stock.select().count() == 1
    finally:
        kdb.close()
