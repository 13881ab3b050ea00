# Item.serial_count: how many serial rows each item has (serials are never deleted).
# With Stock.serials_in_stock it gives a search's total by SKU, status or warehouse
# without counting a million serial rows; the ledger adds to it as it creates serials.
#
# Plain ALTER TABLE … NOT NULL DEFAULT 0 on both databases: peewee's SQLite add_column
# rebuilds the table to make it NOT NULL, which foreign keys from serial rows refuse.
from peewee import *


def up(migrator, db):
    db.execute_sql('ALTER TABLE item ADD COLUMN serial_count INTEGER NOT NULL DEFAULT 0')
    db.execute_sql(
        'UPDATE item SET serial_count = (SELECT COUNT(*) FROM serial WHERE serial.item_id = item.id)'
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_column('item', 'serial_count'))
