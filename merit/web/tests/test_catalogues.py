"""Every app with pages has a complete Chinese catalogue: each text its templates and Python code mark
for translation is in the app's django.po, translated, and in the compiled django.mo."""

from __future__ import annotations

import gettext
import importlib
import re
from pathlib import Path

import pytest

from merit.web.tests.test_i18n import po_entries

APPS = [
    "merit.inbox",
    "merit.discipline",
    "merit.appeals",
    "merit.shop",
    "merit.recognition",
    "merit.dashboards",
]


def source_msgids(root: Path) -> set[str]:
    ids: set[str] = set()
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        ids.update(re.findall(r"""\{% translate ["'](.+?)["'] %\}""", text))
        for body in re.findall(r"\{% blocktranslate[^%]*%\}(.*?)\{% endblocktranslate %\}", text, re.S):
            singular = body.split("{% plural %}")[0]
            ids.add(re.sub(r"\{\{ (\w+) \}\}", r"%(\1)s", singular))
    for path in root.rglob("*.py"):
        if "tests" not in path.parts and "migrations" not in path.parts:
            text = path.read_text(encoding="utf-8")
            ids.update(re.findall(r'\b_\(\s*"(.+?)"', text))
            ids.update(re.findall(r'\bgettext_noop\(\s*"(.+?)"', text))
    return ids


@pytest.mark.parametrize("app", APPS)
def test_the_catalogue_is_complete_translated_and_compiled(app):
    root = Path(importlib.import_module(app).__file__).parent
    ids = source_msgids(root)
    po = root / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    if not ids and not po.exists():
        pytest.skip(f"{app} has no texts to translate")
    text = po.read_text(encoding="utf-8")
    entries = list(po_entries(text))
    assert "fuzzy" not in text
    assert [msgid for _, msgid, strs in entries if not all(strs)] == []
    catalogued = {msgid.replace('\\"', '"') for _, msgid, _ in entries}
    assert sorted(ids - catalogued) == []
    with po.with_suffix(".mo").open("rb") as f:
        catalog = gettext.GNUTranslations(f)
    assert [m for _, m, _ in entries if catalog.gettext(m.replace('\\"', '"')) == m] == []
