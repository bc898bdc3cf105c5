"""A generated column (:class:`V`), its conversion to Arrow, and the file it is written to.

Time convention (read this before loading a package):

* CSV: timestamps are ISO 8601 without a zone (``2026-03-05T10:15:00``) and mean Asia/Shanghai local
  time, as the data-package contract says; dates are ``YYYY-MM-DD`` local dates.
* Parquet: timestamps are ``timestamp('us')`` columns *without* a zone that hold the **UTC** instant
  (local time minus 8 hours); the file's schema metadata says so (``merit.timestamps = UTC``). Dates
  (``attendance.date``) are local dates in both formats.
* Events of month M fall inside month M in Asia/Shanghai local time, within the agent's shift
  (09:00-18:00 or 14:00-23:00). Follow-up times (``resolved_at``, ``completed_at``, ...) may spill into
  the next month, as they do in real exports.

Money and other DECIMAL columns: CSV holds decimal strings (money with 2 places, rating scores as whole
numbers, as are exam scores; QA and manual scores with 1 place, benchmark values with 4 places); Parquet holds
``decimal128(18, 4)``, matching ``tables.TYPE_SQL``. No value ever passes through a float on its way out:
draws are rounded to integer units first.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from merit.engine import tables as T
from merit.engine.synth.params import DAY_S, ROW_GROUP, SHANGHAI_UTC_OFFSET_S


@dataclass
class V:
    """One generated column, before it becomes Arrow.

    ``values`` is numpy; ``valid`` (optional) marks non-null rows. DECIMAL values are integer units of
    ``10**-scale``; TIMESTAMP values are local (Asia/Shanghai) epoch seconds; DATE values are days since
    1970-01-01. A text column is either a numpy string array, codes into ``vocab``, or numbers formatted
    as ``prefix`` + ``width`` zero-padded digits.
    """

    values: np.ndarray
    valid: np.ndarray | None = None
    scale: int = 0
    vocab: pa.Array | None = None
    prefix: str | None = None
    width: int = 0

    def __len__(self) -> int:
        return len(self.values)

    def slice(self, i: int, j: int) -> V:
        valid = None if self.valid is None else self.valid[i:j]
        return dataclasses.replace(self, values=self.values[i:j], valid=valid)


# ----------------------------------------------------------------------------------------------------
# Arrow conversion


def _fixed_strings(mat: np.ndarray, valid: np.ndarray | None) -> pa.Array:
    """An Arrow string array from an (n, width) uint8 matrix, one string per row, without Python objects."""
    n, w = mat.shape
    mat = np.ascontiguousarray(mat)
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), n, [_validity(valid), pa.py_buffer(offsets), pa.py_buffer(mat)], null_count=-1
    )


def _validity(valid: np.ndarray | None) -> pa.Buffer | None:
    if valid is None or valid.all():
        return None
    return pa.py_buffer(np.packbits(valid, bitorder="little"))


def _digits(mat: np.ndarray, col: int, width: int, numbers: np.ndarray) -> None:
    x = numbers.astype(np.int64, copy=True)
    for k in range(width - 1, -1, -1):
        mat[:, col + k] = 48 + x % 10
        x //= 10


def _format_ids(v: V) -> pa.Array:
    p = v.prefix.encode()
    mat = np.empty((len(v), len(p) + v.width), np.uint8)
    mat[:, : len(p)] = np.frombuffer(p, np.uint8)
    _digits(mat, len(p), v.width, v.values)
    return _fixed_strings(mat, v.valid)


def _format_timestamps(sec: np.ndarray, valid: np.ndarray | None) -> pa.Array:
    """ISO 8601 ``YYYY-MM-DDTHH:MM:SS`` strings from epoch seconds (vectorized; strftime is 50x slower)."""
    n = len(sec)
    mat = np.zeros((n, 19), np.uint8)
    if n == 0:
        return _fixed_strings(mat, valid)
    if valid is not None and not valid.all():
        sec = np.where(valid, sec, sec[valid][0] if valid.any() else 0)
    days = sec // DAY_S
    sod = sec - days * DAY_S
    d0 = int(days.min())
    lut = np.arange(d0, int(days.max()) + 1).astype("datetime64[D]").astype("S10")
    mat[:, :10] = lut.view(np.uint8).reshape(-1, 10)[days - d0]
    mat[:, 10] = ord("T")
    mat[:, 13] = mat[:, 16] = ord(":")
    _digits(mat, 11, 2, sod // 3600)
    _digits(mat, 14, 2, sod // 60 % 60)
    _digits(mat, 17, 2, sod % 60)
    return _fixed_strings(mat, valid)


def _decimal(units: np.ndarray, scale: int, valid: np.ndarray | None) -> pa.Array:
    n = len(units)
    buf = np.empty((n, 2), np.int64)
    buf[:, 0] = units
    buf[:, 1] = buf[:, 0] >> 63  # two's-complement sign extension to 128 bits
    if valid is not None:
        buf[~valid] = 0
    return pa.Array.from_buffers(
        pa.decimal128(18, scale), n, [_validity(valid), pa.py_buffer(buf)], null_count=-1
    )


def _mask(v: V) -> np.ndarray | None:
    return None if v.valid is None else ~v.valid


def _arrow_type(col: T.Column, fmt: str, csv_scale: int) -> pa.DataType:
    if col.type == T.DECIMAL:
        return pa.decimal128(18, 4 if fmt == "parquet" else csv_scale)
    if col.type == T.TIMESTAMP:
        return pa.timestamp("us") if fmt == "parquet" else pa.string()
    return {T.INT: pa.int64(), T.BOOL: pa.bool_(), T.DATE: pa.date32()}.get(col.type, pa.string())


def _to_arrow(col: T.Column, v: V, fmt: str) -> pa.Array:
    t = col.type
    if t == T.DECIMAL:
        out_scale = 4 if fmt == "parquet" else v.scale
        return _decimal(v.values.astype(np.int64) * 10 ** (out_scale - v.scale), out_scale, v.valid)
    if t == T.TIMESTAMP:
        sec = v.values.astype(np.int64)
        if fmt == "parquet":
            us = (sec - SHANGHAI_UTC_OFFSET_S) * 1_000_000
            return pa.array(us.view("datetime64[us]"), pa.timestamp("us"), mask=_mask(v))
        return _format_timestamps(sec, v.valid)
    if t == T.DATE:
        return pa.array(v.values.astype("datetime64[D]"), pa.date32(), mask=_mask(v))
    if t == T.INT:
        return pa.array(v.values.astype(np.int64), pa.int64(), mask=_mask(v))
    if t == T.BOOL:
        return pa.array(v.values.astype(bool), pa.bool_(), mask=_mask(v))
    if v.prefix is not None:
        return _format_ids(v)
    if v.vocab is not None:
        return v.vocab.take(pa.array(v.values.astype(np.int64), mask=_mask(v)))
    return pa.array(v.values, pa.string(), mask=_mask(v))


class _Sink:
    """One output file, written chunk by chunk. The schema comes from tables.py and, for the decimal
    places of a CSV column, from the first batch written (every table gets a batch, maybe empty)."""

    def __init__(self, out: Path, table: T.Table, fmt: str):
        self.path, self.table, self.fmt, self.rows = out / f"{table.name}.{fmt}", table, fmt, 0
        self.writer = None

    def _open(self, cols: dict[str, V]) -> None:
        # An optional column the generator does not make (the desk's SLA columns) is written empty.
        fields = [
            pa.field(c.name, _arrow_type(c, self.fmt, cols[c.name].scale if c.name in cols else 0))
            for c in self.table.columns
        ]
        if self.fmt == "parquet":
            meta = {"merit.table": self.table.name, "merit.timestamps": "UTC"}
            self.schema = pa.schema(fields, metadata=meta)
            self.writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        else:
            self.schema = pa.schema(fields)
            options = pacsv.WriteOptions(batch_size=65536, quoting_style="none", quoting_header="none")
            self.writer = pacsv.CSVWriter(self.path, self.schema, write_options=options)

    def write(self, cols: dict[str, V]) -> None:
        if self.writer is None:
            self._open(cols)
        n = len(next(iter(cols.values())))
        for i in range(0, n, ROW_GROUP):
            j = min(n, i + ROW_GROUP)
            arrays = [
                _to_arrow(c, cols[c.name].slice(i, j), self.fmt)
                if c.name in cols
                else pa.nulls(j - i, self.schema.field(c.name).type)
                for c in self.table.columns
            ]
            self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.rows += n

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
