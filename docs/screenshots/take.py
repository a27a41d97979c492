"""Regenerate the README screenshots: `.venv/bin/python docs/screenshots/take.py`.

Builds a throwaway demo database, annotates a few claims of the seed article through the
services, serves it on 127.0.0.1 and photographs the pages in Debian's Chromium.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from app.db import get_session  # noqa: E402
from app.migrate import upgrade  # noqa: E402


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    url = f"sqlite:///{folder / 'shots.sqlite3'}"
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "screenshots-" + "x" * 40})
    app.instance_path = str(folder)
    with app.app_context():
        from app.services.claims import create_claim
        from app.services.demo import load_demo

        session = get_session()
        result = load_demo(session, REPO.parent / "shared" / "corpus", folder)
        session.commit()
        from app.models import User

        annotator = session.query(User).filter_by(username="annotator1").one()
        from app.models import Document
        from app.presenters import document_json
        from app.services.documents import paragraph_spans
        from tests.demo_fixture import demo_claim_bodies

        document = session.get(Document, result.document_id)
        for body in demo_claim_bodies(document_json(document, paragraph_spans(session, document.id))):
            create_claim(session, annotator, result.document_id, body)
        session.commit()
        password = result.credentials["annotator1"]
        document_id = result.document_id
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{base}/login")
        page.fill("#username", "annotator1")
        page.fill("#password", password)
        page.click("#submit")
        page.goto(f"{base}/documents/{document_id}")
        page.evaluate("document.getElementById('p7').scrollIntoView({block: 'start'})")
        page.screenshot(path=str(REPO / "docs" / "screenshots" / "annotate.png"))
        page.goto(f"{base}/projects/demo/balance")
        page.screenshot(path=str(REPO / "docs" / "screenshots" / "balance.png"), full_page=False)
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
