"""The results document: canonical JSON, hashes and files.

``output_sha256`` is the SHA-256 of the canonical JSON (UTF-8, sorted keys, no spaces) of the whole
document without its ``output_sha256`` member. Nothing in the document depends on the clock, the
time zone of the machine or the hash seed, so the same inputs and policy give the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import orjson

from merit import __version__


def canonical(doc: dict) -> bytes:
    """UTF-8, sorted keys, no spaces: the same bytes as
    ``json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``."""
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def finalize(doc: dict) -> tuple[dict, bytes]:
    """Add engine version and output hash; return the document and its file bytes."""
    doc = {**doc, "engine": {"name": "merit", "version": __version__}}
    doc.pop("output_sha256", None)
    body = canonical(doc)
    digest = hashlib.sha256(body).hexdigest()
    data = body[:-1] + f',"output_sha256":"{digest}"}}\n'.encode()
    doc["output_sha256"] = digest
    return doc, data


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
