"""Chinese first, English on request; every text of the pages is translated."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

import merit.web

pytestmark = pytest.mark.django_db

LOCALE = Path(merit.web.__file__).parent / "locale"
PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_the_default_page_is_chinese(client):
    page = client.get("/login/").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "<title>登录 · merit</title>" in page
    assert "用户名" in page and "密码" in page


def test_a_chinese_browser_gets_chinese(client):
    page = client.get("/login/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).content.decode()
    assert '<html lang="zh-hans">' in page


def test_switching_to_english_and_back(client, world):
    client.force_login(world.user("sup1"))
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/people/"})
    assert response.status_code == 302 and response["Location"] == "/people/"
    page = client.get("/people/").content.decode()
    assert '<html lang="en">' in page
    assert "<h1>People</h1>" in page and "Sign out" in page and "Supervisor" in page
    assert "人员" not in page  # no Chinese left in the page's own texts (names aside)

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = client.get("/people/").content.decode()
    assert '<html lang="zh-hans">' in page and "<h1>人员</h1>" in page


def test_an_unknown_language_is_ignored(client):
    client.post("/i18n/setlang/", {"language": "xx", "next": "/login/"})
    assert '<html lang="zh-hans">' in client.get("/login/").content.decode()


def po_entries(text: str):
    """(flags, msgid, msgstrs) of every entry of a .po file (the header excluded)."""
    for block in text.strip().split("\n\n"):
        flags = " ".join(line for line in block.splitlines() if line.startswith("#,"))
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if m := re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line):
                key = m.group(1)
                fields[key] = m.group(2)
            elif (m := re.match(r'^"(.*)"$', line)) and key:
                fields[key] += m.group(1)
        if fields.get("msgid"):
            yield flags, fields["msgid"], [v for k, v in fields.items() if k.startswith("msgstr")]


def test_every_text_is_translated_and_compiled():
    text = PO.read_text(encoding="utf-8")
    entries = list(po_entries(text))
    assert len(entries) > 50
    assert "fuzzy" not in text
    untranslated = [msgid for _, msgid, strs in entries if not all(strs)]
    assert untranslated == []
    # the compiled catalogue holds every entry (a stale .mo would miss the newest ones)
    with MO.open("rb") as f:
        catalog = gettext.GNUTranslations(f)
    missing = [msgid for _, msgid, _ in entries if catalog.gettext(msgid.replace('\\"', '"')) == msgid]
    assert missing == []


def source_msgids() -> set[str]:
    """The message ids of the templates and Python files of merit/web, read with the same patterns the
    code uses ({% translate "…" %}, {% blocktranslate %}…{% endblocktranslate %}, _("…"))."""
    root = Path(merit.web.__file__).parent
    ids: set[str] = set()
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        ids.update(re.findall(r"""\{% translate ["'](.+?)["'] %\}""", text))
        for body in re.findall(r"\{% blocktranslate[^%]*%\}(.*?)\{% endblocktranslate %\}", text, re.S):
            singular = body.split("{% plural %}")[0]
            ids.add(re.sub(r"\{\{ (\w+) \}\}", r"%(\1)s", singular))
    for path in root.rglob("*.py"):
        if "tests" not in path.parts:
            ids.update(re.findall(r'\b_\("(.+?)"\)', path.read_text(encoding="utf-8")))
    return ids


def test_every_text_of_the_pages_is_in_the_catalogue():
    ids = source_msgids()
    assert {"Sign in", "Hello, %(name)s", "%(n)s person", "Pre-sales"} <= ids
    catalogued = {msgid.replace('\\"', '"') for _, msgid, _ in po_entries(PO.read_text(encoding="utf-8"))}
    assert sorted(ids - catalogued) == []


def test_the_project_catalogue_wins_over_the_admins(client, world):
    """Django's admin translates "Filter" as 过滤器; the lists' filter button says 筛选."""
    client.force_login(world.user("hr"))
    page = client.get("/people/", headers={"Accept-Language": "zh-CN"}).content.decode()
    assert "筛选" in page and "过滤器" not in page
