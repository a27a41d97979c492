"""End to end in real Chromium: log in, select a quote, save a claim, find it in the export."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
import sqlalchemy as sa

from app.db import get_session
from app.models import Claim, ClaimSegment
from tests.browser.conftest import log_in, select_text
from tests.conftest import PASSWORD, seed_document_id

pytestmark = pytest.mark.browser
QUOTE = "What Armenia did is unacceptable. It must get back to its senses,"


def stored_segments(app: Any) -> list[tuple[str, str | None]]:
    with app.app_context():
        rows = get_session().execute(
            sa.select(ClaimSegment.text, Claim.note).join(Claim, Claim.id == ClaimSegment.claim_id)
            .order_by(ClaimSegment.id)).all()
    return [(text, note) for text, note in rows]


def test_annotate_a_quote_and_find_it_in_the_csv_export(app: Any, live_server: str, page: Any) -> None:
    log_in(page, live_server, "annotator1", PASSWORD)
    doc = seed_document_id(app)
    page.goto(f"{live_server}/documents/{doc}")
    select_text(page, "Armenia did is unaccept")  # a sloppy drag: snapped to whole words
    page.keyboard.press("c")
    assert page.inner_text("#content-preview") == "“Armenia did is unacceptable”"
    page.click("button[data-action=clear]")
    select_text(page, QUOTE)
    page.keyboard.press("c")
    select_text(page, "he said")
    page.keyboard.press("u")
    page.fill("#speaker", "Cavusoglu")
    page.select_option("#attribution", "direct")
    page.select_option("#stance_T2", "against")
    page.select_option("#claim_type", "opinion")
    page.select_option("#check_worthiness", "NFS")
    page.click("#submit")
    page.wait_for_selector("#claim-list li[data-claim]")
    item = page.inner_text("#claim-list li[data-claim]")
    assert "Mevlüt Çavuşoğlu" in item and "T2 against" in item
    assert page.locator("mark.hl.content").first.inner_text() == QUOTE
    assert stored_segments(app) == [(QUOTE, None)]

    page.goto(f"{live_server}/projects/demo/export")
    page.select_option("#format", "csv")
    with page.expect_download() as download_info:
        page.click("#download")
    data = download_info.value.path().read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        claims_csv = archive.read("claims.csv").decode("utf-8-sig")
    assert QUOTE in claims_csv and "Mevlüt Çavuşoğlu" in claims_csv and "against" in claims_csv


def test_offsets_survive_emoji_and_non_latin_scripts(app: Any, live_server: str, page: Any, as_user: Any) -> None:
    text = ("Family 👨‍👩‍👧 and flag 🇩🇪 first. “Խաղաղություն է պետք,” ասաց նա.\n\n"
            "قال المتحدث «السلام ممكن» اليوم. Cafe\u0301 😀 “we will talk” said Ilham Aliyev.")
    created = as_user("curator").post("/api/v1/projects/demo/documents", {"title": "Scripts", "text": text}).json
    log_in(page, live_server, "annotator1", PASSWORD)
    page.goto(f"{live_server}/documents/{created['id']}")
    for needle in ("Խաղաղություն է պետք", "السلام ممكن", "we will talk"):
        select_text(page, needle)
        page.keyboard.press("c")
        page.select_option("#attribution", "direct")
        page.click("#submit")
        page.wait_for_load_state("load")
        page.wait_for_selector(f"#claim-list li[data-claim]:has-text('{needle}')")
    assert [t for t, _ in stored_segments(app)] == ["Խաղաղություն է պետք", "السلام ممكن", "we will talk"]


def test_a_failed_save_keeps_the_draft(app: Any, live_server: str, page: Any) -> None:
    log_in(page, live_server, "annotator1", PASSWORD)
    doc = seed_document_id(app)
    page.goto(f"{live_server}/documents/{doc}")
    select_text(page, QUOTE)
    page.keyboard.press("c")
    page.fill("#speaker", "Nobody Known")
    page.select_option("#attribution", "direct")
    page.click("#submit")
    page.wait_for_selector("#save-status.error")
    assert "no speaker named" in page.inner_text("#save-status")
    assert page.is_visible("#add-speaker")  # a new speaker can be added in place
    # The network goes down: the page says so and keeps the draft across a reload.
    page.fill("#speaker", "Cavusoglu")
    page.route("**/api/v1/documents/*/claims", lambda route: route.abort())
    page.click("#submit")
    page.wait_for_selector("#save-status.error")
    assert "Not saved" in page.inner_text("#save-status")
    page.unroute("**/api/v1/documents/*/claims")
    page.reload()
    assert QUOTE in page.inner_text("#content-preview")
    assert page.input_value("#speaker") == "Cavusoglu"
    page.click("#submit")
    page.wait_for_selector("#claim-list li[data-claim]")
    assert stored_segments(app) == [(QUOTE, None)]


def test_a_whole_claim_without_the_mouse(app: Any, live_server: str, page: Any) -> None:
    log_in(page, live_server, "annotator1", PASSWORD)
    doc = seed_document_id(app)
    page.goto(f"{live_server}/documents/{doc}")
    page.keyboard.press("?")
    assert page.is_visible("#keys-help")
    page.keyboard.press("Escape")
    assert not page.is_visible("#keys-help")
    for _ in range(8):  # to the paragraph “What Armenia did is unacceptable. …”
        page.keyboard.press("]")
    for _ in range(11):
        page.keyboard.press("Alt+Shift+ArrowRight")
    page.keyboard.press("c")
    assert page.inner_text("#content-preview") == f"“{QUOTE}”"
    page.keyboard.press("p")
    page.keyboard.type("Cavusoglu")
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    page.keyboard.type("Direct")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#claim-list li[data-claim]")
    with app.app_context():
        claim = get_session().scalar(sa.select(Claim))
        assert claim is not None and claim.attribution == "direct" and claim.speaker_id is not None
    assert stored_segments(app) == [(QUOTE, None)]


def test_two_tabs_on_the_same_claim(app: Any, live_server: str, browser: Any, as_user: Any) -> None:
    doc = seed_document_id(app)
    from tests.conftest import find_span

    start, end = find_span(app, doc, QUOTE)
    created = as_user("annotator1").post(f"/api/v1/documents/{doc}/claims", {
        "content": [{"start": start, "end": end}], "attribution": "direct", "speaker": "Cavusoglu"}).json
    context = browser.new_context()
    first, second = context.new_page(), context.new_page()
    log_in(first, live_server, "annotator1", PASSWORD)
    for tab in (first, second):
        tab.goto(f"{live_server}/documents/{doc}")
        tab.click(f"[data-edit='{created['id']}']")
    first.select_option("#claim_type", "opinion")
    first.click("#submit")
    first.wait_for_selector("#save-status.ok, #claim-list li[data-claim]")
    second.select_option("#claim_type", "event")
    second.click("#submit")
    second.wait_for_selector(".conflict")
    assert "Not saved" in second.inner_text("#save-status")
    conflict = second.inner_text(".conflict")
    assert "opinion" in conflict and "event" in conflict  # both versions shown
    with second.expect_navigation():  # the page reloads once the save is acknowledged
        second.click(".conflict button")
    second.wait_for_selector("#claim-list li[data-claim]")
    with app.app_context():
        claim = get_session().get(Claim, created["id"])
        assert claim is not None and claim.claim_type == "event" and claim.version == 3
    context.close()


def test_new_speaker_in_place(app: Any, live_server: str, page: Any) -> None:
    log_in(page, live_server, "annotator1", PASSWORD)
    doc = seed_document_id(app)
    page.goto(f"{live_server}/documents/{doc}")
    select_text(page, "Such a biased and unjustified position brings only more disengagement")
    page.keyboard.press("c")
    page.fill("#speaker", "Hikmet Hajiyev")
    page.select_option("#attribution", "direct")
    page.click("#submit")
    page.click("#add-speaker")
    page.wait_for_selector("#claim-list li[data-claim]:has-text('Hikmet Hajiyev')")
    with app.app_context():
        from app.models import Speaker

        assert get_session().scalar(sa.select(Speaker.side).where(Speaker.name == "Hikmet Hajiyev")) is None


def test_bias_marker_and_labels(app: Any, live_server: str, page: Any) -> None:
    log_in(page, live_server, "annotator1", PASSWORD)
    doc = seed_document_id(app)
    page.goto(f"{live_server}/documents/{doc}")
    select_text(page, "Armenian-occupied")
    page.keyboard.press("b")
    page.select_option("#bias_type", "contested_term")
    page.select_option("#marker_target", "azerbaijan")
    page.click("#marker-save")
    page.wait_for_selector("#marker-list li[data-marker]")
    assert page.locator("mark.hl.bias").first.inner_text() == "Armenian-occupied"
    page.select_option("#label_genre", "hard_news")
    page.select_option("#slant_T1", "favor")
    page.click("#labels-save")
    page.wait_for_selector("#labels-status.ok")
    page.reload()
    assert page.input_value("#label_genre") == "hard_news" and page.input_value("#slant_T1") == "favor"


def test_suggestions_in_the_page(app: Any, live_server: str, page: Any) -> None:
    log_in(page, live_server, "annotator1", PASSWORD)
    doc = seed_document_id(app)
    page.goto(f"{live_server}/documents/{doc}")
    page.click("#show-suggestions")
    page.wait_for_selector("#suggestion-list li[data-suggestion]")
    assert page.locator("mark.hl.suggested").count() > 10
    total = page.locator("#suggestion-list li[data-suggestion]").count()
    first_quote = page.inner_text("#suggestion-list li[data-suggestion] .quote")
    page.keyboard.press("y")  # accept the first
    page.wait_for_selector("#claim-list li[data-claim]")
    assert page.locator("#suggestion-list li[data-suggestion]").count() == total - 1
    with app.app_context():
        claim = get_session().scalar(sa.select(Claim))
        assert claim is not None and claim.origin == "suggestion"
    assert first_quote.strip("“”").rstrip("…")[:20] in stored_segments(app)[0][0]
    page.keyboard.press("n")  # dismiss the next one
    page.wait_for_load_state("load")
    from playwright.sync_api import expect

    expect(page.locator("#suggestion-list li[data-suggestion]")).to_have_count(total - 2)
    page.reload()
    assert page.locator("#suggestion-list li[data-suggestion]").count() == total - 2


def test_chart_png_download(app: Any, live_server: str, page: Any, as_user: Any) -> None:
    from tests.demo_fixture import annotate_demo

    annotate_demo(as_user("annotator1"), seed_document_id(app))
    log_in(page, live_server, "annotator1", PASSWORD)
    page.goto(f"{live_server}/projects/demo/balance")
    with page.expect_download() as download_info:
        page.click("[data-png='demo-balance-sides.png']")
    png = download_info.value.path().read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
