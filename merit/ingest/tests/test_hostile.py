"""Hostile and oversized uploads are refused quickly, in bounded memory, with a clear reason, and
nothing is applied: zip bombs (honest and lying about their size), path traversal, links, a
billion-laughs workbook, too many bytes, too many rows."""

from __future__ import annotations

import io
import resource
import stat
import struct
import time
import zipfile

import pytest
from django.core.exceptions import ValidationError

from merit.facts.models import Ticket
from merit.ingest.actions import run_import, submit_import
from merit.ingest.models import Import, ImportState
from merit.ingest.tests.files import table_csv, ticket, workbook_bytes, zip_bytes

MB = 1024 * 1024


def _import(user, files):
    imp = submit_import(user, files, enqueue=False)
    return run_import(imp.pk)


def _refused(imp, *words: str) -> str:
    assert imp.state == ImportState.FAILED
    reasons = " | ".join(p["reason"] for p in imp.problems)
    for w in words:
        assert w in reasons, reasons
    assert Ticket.objects.count() == 0
    return reasons


class Bounded:
    """Wall time and growth of the process's peak memory (ru_maxrss) over a block."""

    def __enter__(self):
        self.rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.t = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self.t
        self.grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self.rss) / 1024
        assert self.seconds < 10, f"took {self.seconds:.1f} s"
        assert self.grown_mb < 200, f"peak memory grew {self.grown_mb:.0f} MB"


def _zeros_zip(size: int, name: str = "tickets.csv") -> bytes:
    """A small zip holding ``size`` bytes that compress ~1000:1."""
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open(name, "w", force_zip64=True) as member,
    ):
        chunk = b"0" * MB
        for _ in range(size // MB):
            member.write(chunk)
    return buf.getvalue()


def test_a_zip_bomb_is_refused_by_its_declared_size(world, settings):
    settings.MERIT_IMPORT_MAX_UNPACKED_BYTES = 10 * MB
    bomb = _zeros_zip(40 * MB)
    assert len(bomb) < 100_000
    with Bounded():
        imp = _import(world.users["hr"], [("bomb.zip", bomb)])
    _refused(imp, "zip refused: it would unpack to 41943040 bytes (limit 10485760)")


def test_a_zip_bomb_is_refused_by_its_compression_ratio(world):
    with Bounded():
        imp = _import(world.users["hr"], [("bomb.zip", _zeros_zip(40 * MB))])
    _refused(imp, "zip refused: 'tickets.csv' is compressed", "a zip bomb?")


def _lying_zip() -> bytes:
    """A zip whose member declares 1,000 bytes but inflates to 30 MB."""
    data = bytearray(zip_bytes({"tickets.csv": b"0" * (30 * MB)}))
    local = data.index(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, 1000)
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 1000)
    return bytes(data)


def test_a_zip_lying_about_its_size_is_refused(world):
    lying = _lying_zip()
    assert zipfile.ZipFile(io.BytesIO(lying)).infolist()[0].file_size == 1000
    with Bounded():
        imp = _import(world.users["hr"], [("lying.zip", lying)])
    _refused(imp, "zip refused: 'tickets.csv' does not match its declared size and checksum")
    assert imp.problems[0]["value"] == "lying.zip"


@pytest.mark.parametrize("member", ["../evil.csv", "shop/../../evil.csv", "/tmp/evil.csv", "..\\evil.csv"])
def test_a_path_leaving_the_folder_is_refused(world, tmp_path, member):
    evil = zip_bytes({"tickets.csv": table_csv("tickets", [ticket(1)]), member: b"agent_id\nx\n"})
    imp = _import(world.users["hr"], [("evil.zip", evil)])
    _refused(imp, "unsafe path")
    assert not list(tmp_path.rglob("evil.csv"))


def test_a_link_in_a_zip_is_refused(world):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("tickets.csv")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    imp = _import(world.users["hr"], [("link.zip", buf.getvalue())])
    _refused(imp, "'tickets.csv' is a link")


def _billion_laughs(where: str) -> bytes:
    """A valid workbook whose sheet XML (or workbook XML) declares nested entities: expanding &lol9;
    would need 10^9 copies of "lol" (about 3 GB)."""
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    ]
    doctype = "<!DOCTYPE lolz [" + "".join(entities) + "]>"
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    original = workbook_bytes(
        {"tickets": [["ticket_id", "agent_id", "kind", "created_at"], ["X", "li", "refund", "2026-03-01"]]}
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if where == "sheet" and info.filename == "xl/worksheets/sheet1.xml":
                data = (
                    f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<worksheet {ns}><sheetData><row r="1">'
                    '<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
                ).encode()
            if where == "workbook" and info.filename == "xl/workbook.xml":
                text = data.decode()
                declaration_end = text.index("?>") + 2 if text.startswith("<?xml") else 0
                text = text[:declaration_end] + doctype + text[declaration_end:]
                data = text.replace('name="tickets"', 'name="&lol9;"').encode()
            dst.writestr(info, data)
    return out.getvalue()


@pytest.mark.parametrize("where", ["sheet", "workbook"])
def test_a_billion_laughs_workbook_is_refused(world, where):
    book = _billion_laughs(where)
    with Bounded():
        imp = _import(world.users["hr"], [("laughs.xlsx", book)])
    _refused(imp, "workbook refused: its XML declares entities")


def test_an_upload_over_the_size_limit_is_refused_before_anything_is_stored(world, settings, media):
    settings.MERIT_IMPORT_MAX_BYTES = 10_000
    data = table_csv("tickets", [ticket(i) for i in range(1, 200)])
    assert len(data) > 10_000
    with pytest.raises(ValidationError) as e:
        submit_import(world.users["hr"], [("tickets.csv", data)])
    assert "limit" in e.value.messages[0] or "上限" in e.value.messages[0]
    assert not Import.objects.exists()
    assert not [p for p in (media / "imports").rglob("*") if p.is_file()]


def test_an_upload_over_the_row_limit_is_refused(world, settings):
    settings.MERIT_IMPORT_MAX_ROWS = 100
    csv_file = ("tickets.csv", table_csv("tickets", [ticket(i) for i in range(1, 151)]))
    _refused(_import(world.users["hr"], [csv_file]), "150 rows in the upload; the limit is 100")
    header = ["ticket_id", "agent_id", "kind", "created_at"]
    book = workbook_bytes(
        {"tickets": [header] + [[f"X{i}", "li", "refund", "2026-03-01"] for i in range(150)]}
    )
    _refused(_import(world.users["hr"], [("shop.xlsx", book)]), "the limit is 100")


def test_a_broken_zip_is_refused(world):
    imp = _import(world.users["hr"], [("broken.zip", b"PK\x03\x04 this is not a zip")])
    _refused(imp, "not a readable zip file")


def test_the_package_loader_refuses_a_billion_laughs_workbook_too(tmp_path):
    """``merit assess --data book.xlsx`` reads workbooks with the engine's own reader."""
    from merit.engine.package import PackageError, load_package

    path = tmp_path / "laughs.xlsx"
    path.write_bytes(_billion_laughs("sheet"))
    with Bounded(), pytest.raises(PackageError) as e:
        load_package(path)
    assert "cannot read the workbook" in str(e.value)
