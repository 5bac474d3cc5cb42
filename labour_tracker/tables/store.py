"""The worker's RocksDB table store (`labour-tracker-rocksdb://`, a `faust.stores` entry point in pyproject.toml):
Faust's, writing without RocksDB's own write-ahead log.

A table's changelog topic is already its log. Faust keeps, in each partition's database, the changelog offset its
contents reach, and on start replays the changelog from there. Without the write-ahead log, a worker that dies
loses what RocksDB had not yet flushed, that offset included, so it replays from the last flush: the same state,
read again from Kafka. A worker that stops cleanly flushes on close. Each write saves a copy of the whole record
(tens of KiB for a long labour) into the log file.
"""

from __future__ import annotations

from typing import Any

import rocksdict
from faust.stores import rocksdb

# Each table opens a database per partition, each with memtables and a block cache of its own: Faust's defaults
# (three memtables of 64 MiB, a 2 GiB cache) let a worker's memory grow by hundreds of MB as it serves persons.
# Records are small and written once per command; the changelog, not RocksDB, is what recovery reads.
BOUNDED_MEMORY = {
    "write_buffer_size": 4 * 1024 * 1024,
    "max_write_buffer_number": 2,
    "block_cache_size": 8 * 1024 * 1024,
}


class Store(rocksdb.Store):
    def __init__(self, *args: Any, options: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, options={**BOUNDED_MEMORY, **(options or {})}, **kwargs)

    def _open_for_partition(self, partition: int) -> Any:
        db = super()._open_for_partition(partition)
        unlogged = rocksdict.WriteOptions()
        unlogged.disable_wal = True  # type: ignore[method-assign,assignment]  # a property; the stub has a method
        db.set_write_options(unlogged)
        return db
