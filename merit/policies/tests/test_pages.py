"""The policy pages: who sees them, the editor's refusals shown on the lines of the submitted text (which
is kept), a valid edit becoming the next version with its diff, and the htmx check that saves nothing."""

from __future__ import annotations

import re
from html import unescape

import pytest

from merit.policies.models import PolicyVersion
from merit.policies.tests.conftest import (
    EDITORS,
    READERS,
    S5_BROKEN,
    S5_BROKEN_LINE,
    S5_EDITED,
    S5_EDITED_LINE,
    S5_TEXT,
)

pytestmark = pytest.mark.django_db

LIST = "/policies/"
EDIT = "/policies/S5/edit/"
VALIDATE = "/policies/validate/"
WHO = ["li", "sup1", "hr", "admin", "root", "nobody"]


def page(response) -> str:
    return response.content.decode()


def row(html: str, number: int) -> str:
    """The <tr> of line ``number`` in a numbered listing."""
    m = re.search(rf'<tr id="L{number}"[^>]*>.*?</tr>', html, re.S)
    assert m, f"no line {number}"
    return m.group(0)


def textarea(html: str) -> str:
    m = re.search(r"<textarea[^>]*name=\"text\"[^>]*>(.*?)</textarea>", html, re.S)
    assert m
    return unescape(m.group(1)).removeprefix("\n")


def edit(client, text, effective_from="2026-04-01", note="", base_version=1):
    return client.post(
        EDIT, {"text": text, "effective_from": effective_from, "note": note, "base_version": base_version}
    )


def s5_versions() -> list[int]:
    return list(
        PolicyVersion.objects.filter(policy_id="S5").order_by("version").values_list("version", flat=True)
    )


@pytest.mark.parametrize("who", WHO)
def test_everyone_with_a_role_reads_the_policies(client_for, presets, who):
    client = client_for(who)
    urls = [LIST, "/policies/S5/", "/policies/S5/v1/"]
    expected = 200 if who in READERS else 403
    assert [client.get(u).status_code for u in urls] == [expected] * 3
    if who in READERS:
        home = page(client.get("/"))
        assert 'href="/policies/"' in home and "考核方案" in home  # the menu entry


def test_anonymous_visitors_are_sent_to_sign_in(client_for, presets):
    client = client_for("anonymous")
    for url in (LIST, "/policies/S5/", "/policies/S5/v1/", EDIT, "/policies/new/"):
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/?next="), url
    assert client.post(VALIDATE, {"text": S5_TEXT}).status_code == 302


@pytest.mark.parametrize("who", ["li", "sup1", "nobody"])
def test_only_hr_and_admins_see_the_editor(client_for, presets, who):
    client = client_for(who)
    assert client.get(EDIT).status_code == 403
    assert edit(client, S5_EDITED).status_code == 403
    assert client.get("/policies/new/").status_code == 403
    assert client.post(VALIDATE, {"text": S5_TEXT, "policy_id": "S5"}).status_code == 403
    assert s5_versions() == [1]
    if who != "nobody":
        assert 'href="/policies/S5/edit/"' not in page(client.get("/policies/S5/"))


def test_the_list_shows_each_policy_with_its_latest_version_and_date(client_for, db, world):
    html = page(client_for("li").get(LIST))  # the first visit stores the presets
    s5 = re.search(r'<tr data-policy="S5">.*?</tr>', html, re.S).group(0)
    assert "售后KPI考核报表(100分)" in s5
    assert ">v1</a>" in s5 and "2026-01-01" in s5 and "预置" in s5
    assert html.count("<tr data-policy=") == 11
    assert 'id="new-policy"' not in html  # an agent has no editor


def test_the_editor_is_prefilled_with_the_latest_text(client_for, presets):
    html = page(client_for("hr").get(EDIT))
    assert textarea(html) == S5_TEXT
    assert 'name="base_version" value="1"' in html
    assert "保存为新版本" in html and 'hx-post="/policies/validate/"' in html


def test_an_invalid_edit_shows_the_problem_on_its_line_and_keeps_the_text(client_for, presets):
    r = edit(client_for("hr"), S5_BROKEN.replace("\n", "\r\n"), note="试一下")
    assert r.status_code == 400
    html = page(r)
    assert f"第 {S5_BROKEN_LINE} 行" in html
    assert f'href="#L{S5_BROKEN_LINE}"' in html
    bad = row(html, S5_BROKEN_LINE)
    assert 'class="bad"' in bad and "refund_dispute_ratio" in bad
    assert "unknown metric &#x27;refund_dispute_ratio&#x27;" in html  # the engine's message
    assert 'class="bad"' not in row(html, S5_BROKEN_LINE - 1)
    assert textarea(html).replace("\r\n", "\n") == S5_BROKEN  # nothing lost
    assert "试一下" in html
    assert s5_versions() == [1]


def test_a_valid_edit_creates_version_2_and_shows_the_change(client_for, presets, world):
    client = client_for("hr")
    r = edit(client, S5_EDITED, effective_from="2026-04-01", note="争议率步长改为 0.2 个百分点")
    assert r.status_code == 302 and r["Location"] == "/policies/S5/v2/diff/"
    assert s5_versions() == [1, 2]
    v2 = PolicyVersion.objects.get(policy_id="S5", version=2)
    assert (v2.created_by, v2.note, str(v2.effective_from)) == (
        world.users["hr"],
        "争议率步长改为 0.2 个百分点",
        "2026-04-01",
    )

    html = page(client.get(r["Location"]))
    assert "已保存 S5 的版本 2" in html
    removed = re.findall(
        r'<tr class="removed"><td class="no">(\d+)</td><td class="no"></td>.*?<td class="code">(.*?)</td>',
        html,
    )
    added = re.findall(
        r'<tr class="added"><td class="no"></td><td class="no">(\d+)</td>.*?<td class="code">(.*?)</td>', html
    )
    assert removed == [(str(S5_EDITED_LINE), "    value: 0.001")]
    assert added == [(str(S5_EDITED_LINE), "    value: 0.002")]
    assert "新增 1 行" in html and "删除 1 行" in html

    versions = page(client.get("/policies/S5/"))
    assert '<tr data-version="2">' in versions and 'href="/policies/S5/v2/diff/"' in versions
    listing = page(client.get(LIST))
    assert ">v2</a>" in re.search(r'<tr data-policy="S5">.*?</tr>', listing, re.S).group(0)


def test_an_unchanged_text_is_refused_on_the_page(client_for, presets):
    r = edit(client_for("admin"), S5_TEXT)
    assert r.status_code == 400
    assert "文本与版本 1 相同" in page(r)
    assert s5_versions() == [1]


def test_an_early_effective_date_is_refused_on_the_page(client_for, presets):
    r = edit(client_for("hr"), S5_EDITED, effective_from="2025-12-01")
    assert r.status_code == 400
    assert "2026-01-01" in page(r) and textarea(page(r)) == S5_EDITED
    assert s5_versions() == [1]


def test_an_editor_starting_from_an_outdated_version_is_told(client_for, presets):
    assert edit(client_for("hr"), S5_EDITED, base_version=1).status_code == 302
    r = edit(client_for("admin"), S5_TEXT.replace("value: 0.995", "value: 0.99"), base_version=1)
    assert r.status_code == 400
    assert "v2" in page(r)
    assert s5_versions() == [1, 2]


def test_the_check_button_answers_without_saving(client_for, presets):
    client = client_for("hr")
    headers = {"HX-Request": "true"}
    bad = page(client.post(VALIDATE, {"text": S5_BROKEN, "policy_id": "S5"}, headers=headers))
    assert "<html" not in bad  # a fragment for the page
    assert f"第 {S5_BROKEN_LINE} 行" in bad and 'class="bad"' in row(bad, S5_BROKEN_LINE)
    good = page(client.post(VALIDATE, {"text": S5_EDITED, "policy_id": "S5"}, headers=headers))
    assert 'id="valid"' in good and "引擎接受该方案" in good
    same = page(client.post(VALIDATE, {"text": S5_TEXT, "policy_id": "S5"}, headers=headers))
    assert "与版本 1 的文本相同" in same
    assert s5_versions() == [1]


def test_a_version_shows_its_numbered_text_and_its_runs(client_for, presets):
    html = page(client_for("li").get("/policies/S5/v1/"))
    assert html.count('<tr id="L') == len(S5_TEXT.splitlines())
    assert "id: S5" in row(html, 5)
    assert PolicyVersion.objects.get(policy_id="S5").sha256 in html
    assert "还没有考核批次使用此版本" in html


def test_a_diff_against_any_other_version(client_for, presets, world):
    client = client_for("hr")
    edit(client, S5_EDITED)
    edit(client, S5_TEXT.replace("value: 0.995", "value: 0.99"), effective_from="2026-05-01", base_version=2)
    html = page(client.get("/policies/S5/v3/diff/?from=1"))
    assert "v1 → v3" in html
    assert html.count('<tr class="added">') == 1  # 0.001 → 0.001 again, 0.995 → 0.99
    assert client.get("/policies/S5/v3/diff/?from=9").status_code == 404
    assert client.get("/policies/S5/v1/diff/").status_code == 404  # v1 has no previous version


def test_a_new_policy_starts_from_another_policys_text(client_for, presets):
    client = client_for("hr")
    start = client.get("/policies/new/")
    assert start.status_code == 200 and 'name="base"' in page(start)
    taken = client.get("/policies/new/", {"policy_id": "s5", "base": "S5"})
    assert taken.status_code == 400 and "已被使用" in page(taken)

    html = page(client.get("/policies/new/", {"policy_id": "shop-kpi", "base": "S5"}))
    text = textarea(html)
    assert text == S5_TEXT.replace("id: S5", "id: shop-kpi", 1)
    r = client.post(
        "/policies/new/",
        {
            "policy_id": "shop-kpi",
            "text": text,
            "effective_from": "2026-06-01",
            "note": "",
            "base_version": 0,
        },
    )
    assert r.status_code == 302 and r["Location"] == "/policies/shop-kpi/v1/"
    assert PolicyVersion.objects.get(policy_id="shop-kpi").version == 1


def test_a_new_policy_whose_text_names_another_id_is_refused_at_the_id_line(client_for, presets):
    r = client_for("hr").post(
        "/policies/new/",
        {"policy_id": "shop-kpi", "text": S5_TEXT, "effective_from": "2026-06-01", "base_version": 0},
    )
    assert r.status_code == 400
    assert "第 5 行" in page(r) and 'class="bad"' in row(page(r), 5)
    assert not PolicyVersion.objects.filter(policy_id="shop-kpi").exists()


def test_an_unknown_policy_or_version_answers_404(client_for, presets):
    client = client_for("hr")
    assert client.get("/policies/nope/").status_code == 404
    assert client.get("/policies/S5/v9/").status_code == 404
    assert client.get("/policies/nope/edit/").status_code == 404


def test_the_pages_speak_english_on_request(client_for, presets):
    client = client_for("hr")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = page(client.get(LIST))
    assert "<h1>Policies</h1>" in html and "After-sales KPI report (100 points)" in html
    assert "考核方案" not in html
    r = edit(client, S5_BROKEN)
    assert f"Line {S5_BROKEN_LINE}" in page(r)


@pytest.mark.parametrize("who", sorted(EDITORS))
def test_editors_see_the_editor_links(client_for, presets, who):
    client = client_for(who)
    assert 'id="new-policy"' in page(client.get(LIST))
    assert 'href="/policies/S5/edit/"' in page(client.get("/policies/S5/"))
