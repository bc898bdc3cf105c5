"""Uploads into a flat folder of files, safely: a zip is checked before and while it is extracted.

A zip is refused (:class:`Refused`, nothing extracted is kept) when it holds an absolute path, ``..``,
a link, an encrypted member, too many members, more than the unpacked-size limit (declared sizes are
added up first, and bytes are counted while extracting since a declared size can lie) or a member
compressed beyond a plausible ratio (a zip bomb). Members are extracted by their file name only (the
folders inside the zip are dropped); ``__MACOSX`` and hidden files are skipped.
"""

from __future__ import annotations

import csv
import os
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from merit.engine.package import PACKAGE, Problem

CHUNK = 1 << 20
RATIO_CHECKED_ABOVE = 1 << 20  # members smaller than this may compress as well as they like


@dataclass(frozen=True)
class Limits:
    max_unpacked_bytes: int
    max_members: int
    max_ratio: int


class Refused(Exception):
    """The upload is refused as a whole; ``problem`` says why (shown in the report)."""

    def __init__(self, name: str, reason: str):
        self.problem = Problem(PACKAGE, None, None, name, reason)
        super().__init__(f"{name}: {reason}")


def unpack(stored: list[Path], work: Path, limits: Limits, notices: list[str]) -> None:
    """Put every uploaded file into ``work``: zips extracted, other files linked."""
    work.mkdir(parents=True, exist_ok=True)
    for path in stored:
        if path.suffix.lower() == ".zip":
            _extract(path, work, limits, notices)
        else:
            _place(path.name, work)
            _link(path, work / path.name)


def _place(name: str, work: Path) -> Path:
    dest = work / name
    if dest.exists():
        raise Refused(name, "two files with the same name in the upload: rename one")
    return dest


def _link(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name; zips made on Chinese Windows store GBK names without saying so."""
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    try:
        return name.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


def _unsafe(name: str) -> bool:
    if name.startswith(("/", "\\")) or "\\" in name or (len(name) > 1 and name[1] == ":"):
        return True
    return any(part == ".." for part in PurePosixPath(name).parts)


def _extract(path: Path, work: Path, limits: Limits, notices: list[str]) -> None:
    zname = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > limits.max_members:
                raise Refused(zname, f"zip refused: {len(infos)} members (limit {limits.max_members})")
            declared = sum(i.file_size for i in infos)
            if declared > limits.max_unpacked_bytes:
                raise Refused(
                    zname,
                    f"zip refused: it would unpack to {declared} bytes (limit {limits.max_unpacked_bytes})",
                )
            for info in infos:
                name = _member_name(info)
                if _unsafe(name):
                    raise Refused(zname, f"zip refused: unsafe path {name!r} (absolute or with ..)")
                if stat.S_ISLNK(info.external_attr >> 16):
                    raise Refused(zname, f"zip refused: {name!r} is a link")
                if info.flag_bits & 0x1:
                    raise Refused(zname, f"zip refused: {name!r} is encrypted")
                big = info.file_size > RATIO_CHECKED_ABOVE
                if big and info.file_size > max(info.compress_size, 1) * limits.max_ratio:
                    raise Refused(
                        zname,
                        f"zip refused: {name!r} is compressed {info.file_size // max(info.compress_size, 1)}"
                        f" times (limit {limits.max_ratio}): a zip bomb?",
                    )
            written = 0
            for info in infos:
                name = _member_name(info)
                parts = PurePosixPath(name).parts
                base = parts[-1] if parts else ""
                if info.is_dir() or not base:
                    continue
                if "__MACOSX" in parts or base.startswith((".", "~$")):
                    continue
                if base.lower().endswith(".zip"):
                    notices.append(f"{zname}: {name}: a zip inside the zip is not read")
                    continue
                dest = _place(base, work)
                written = _copy_member(zf, info, name, dest, written, limits, zname)
    except Refused:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError, ValueError) as e:
        raise Refused(zname, f"not a readable zip file ({type(e).__name__}: {e})") from None


def _copy_member(zf, info, name: str, dest: Path, written: int, limits: Limits, zname: str) -> int:
    size = 0
    with zf.open(info) as src, open(dest, "wb") as out:
        while chunk := _read(src, name, zname):
            size += len(chunk)
            written += len(chunk)
            if size > info.file_size:
                raise Refused(
                    zname, f"zip refused: {name!r} holds more than its declared {info.file_size} bytes"
                )
            if written > limits.max_unpacked_bytes:
                raise Refused(
                    zname, f"zip refused: it unpacks to more than {limits.max_unpacked_bytes} bytes"
                )
            out.write(chunk)
    return written


def _read(src, name: str, zname: str) -> bytes:
    try:
        return src.read(CHUNK)
    except zipfile.BadZipFile:
        # Python stops at the declared size and then finds the checksum wrong: a forged or damaged zip.
        raise Refused(
            zname, f"zip refused: {name!r} does not match its declared size and checksum (damaged or forged)"
        ) from None


# ---- counting rows without reading files into memory -------------------------------------------


def csv_records(path: Path) -> int:
    """Data records of a CSV file (header excluded), streamed. Quotes, commas and line breaks are ASCII
    in UTF-8 and in GBK/GB18030 alike (no multi-byte character contains them), so reading the bytes as
    Latin-1 finds the same records without decoding the text."""
    saved = csv.field_size_limit(1 << 30)
    try:
        with open(path, encoding="latin-1", newline="") as f:
            n = sum(1 for record in csv.reader(f) if any(v.strip() for v in record))
    finally:
        csv.field_size_limit(saved)
    return max(0, n - 1)


def parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception:  # an unreadable file is reported by the package loader
        return 0
