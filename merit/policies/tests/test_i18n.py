"""Every text of the policy pages is in this app's Chinese catalogue, translated and compiled."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import merit.policies
from merit.web.tests.test_i18n import po_entries

ROOT = Path(merit.policies.__file__).parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def source_msgids() -> set[str]:
    ids: set[str] = set()
    for path in ROOT.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        ids.update(re.findall(r"""\{% translate ["'](.+?)["'] %\}""", text))
        for body in re.findall(r"\{% blocktranslate[^%]*%\}(.*?)\{% endblocktranslate %\}", text, re.S):
            singular = body.split("{% plural %}")[0]
            ids.add(re.sub(r"\{\{ (\w+) \}\}", r"%(\1)s", singular))
    for path in ROOT.rglob("*.py"):
        if "tests" not in path.parts and "migrations" not in path.parts:
            ids.update(re.findall(r'\b_\(\s*"(.+?)"', path.read_text(encoding="utf-8")))
    return ids


def test_every_text_is_translated_and_compiled():
    text = PO.read_text(encoding="utf-8")
    entries = list(po_entries(text))
    assert "fuzzy" not in text
    assert [msgid for _, msgid, strs in entries if not all(strs)] == []
    with MO.open("rb") as f:
        catalog = gettext.GNUTranslations(f)
    assert [msgid for _, msgid, _ in entries if catalog.gettext(msgid.replace('\\"', '"')) == msgid] == []


def test_every_text_of_the_pages_is_in_the_catalogue():
    ids = source_msgids()
    assert {"Policies", "Save as a new version", "Line %(n)s", "Policy text (YAML)"} <= ids
    catalogued = {msgid.replace('\\"', '"') for _, msgid, _ in po_entries(PO.read_text(encoding="utf-8"))}
    assert sorted(ids - catalogued) == []
