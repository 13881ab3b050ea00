# Indexes no query uses, dropped, and one a search needs, added.
#
# Dropped: each was written on every serial and movement a
# post inserts or updates (a third of the write cost of a 1000-serial purchase).
# serial.item_id and serial.warehouse_id are the first columns of the composite
# indexes (item, warehouse, status, code) and (warehouse, code); movement.serial_id
# is the first column of (serial, id); nothing looks serials up by last_doc, nor
# movements by warehouse or line (rows of item, warehouse, document and doc_line
# are never deleted, so no foreign-key check needs them either).
from peewee import *

DROPPED = [
    ('serial', 'serial_item_id'),
    ('serial', 'serial_warehouse_id'),
    ('serial', 'serial_last_doc_id'),
    ('movement', 'movement_serial_id'),
    ('movement', 'movement_warehouse_id'),
    ('movement', 'movement_line_id'),
]


def up(migrator, db):
    migrator.migrate(*[migrator.drop_index(table, name) for table, name in DROPPED])
    # a search by SKU pages in serial order from an index instead of sorting the SKU's rows
    migrator.migrate(migrator.add_index('serial', ('item_id', 'code'), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('serial', 'serial_item_id_code'))
    migrator.migrate(*[
        migrator.add_index(table, [name[len(table) + 1:]], False) for table, name in DROPPED
    ])
