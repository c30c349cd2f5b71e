"""In a real browser: a reporter signs in, adds a shared note and a tag; a colleague sees both."""

from __future__ import annotations

import secrets
from typing import Any

from live_server import LiveServer
from server_kit import PASSWORD, Server

from cabledesk.desk import Desk
from cabledesk.web.server import create_app

CABLE = "10MEXICO83"


def signed_in(browser: Any, base: str, name: str, problems: list[str]) -> Any:
    """A fresh browser context signed in through the real /login form; CSP or JS errors collected."""
    context = browser.new_context()
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{base}/cable/{CABLE}")  # anonymous: sent to the sign-in page, and back after
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/cable/{CABLE}")
    return page


def test_a_shared_note_and_tag_added_in_the_browser_are_seen_by_a_colleague(
    browser: Any, server_db: Server, desk: Desk
) -> None:
    n = max(p.n for p in desk.cable(CABLE).paragraphs if p.n)
    note, tag = f"Check this with the embassy {secrets.token_hex(3)}", f"lead-{secrets.token_hex(3)}"
    problems: list[str] = []
    with LiveServer(create_app(server_db.url)) as srv:
        eva = signed_in(browser, srv.url, "eva", problems)
        eva.click(f"button.add-note[data-paragraph='{n}']")  # collab.js moves the form under ¶n
        form = eva.locator(f"#p{n} #note-form")
        form.locator("textarea[name=text]").fill(note)
        form.locator("input[name=shared]").check()
        form.locator("button[type=submit]").click()
        eva.wait_for_url(f"{srv.url}/cable/{CABLE}#p{n}")
        assert note in eva.locator(f"#p{n} .note-text").all_inner_texts()
        eva.fill(".tag-form input[name=tag]", tag)  # "shared" is ticked by default
        eva.click(".tag-form button[type=submit]")
        eva.wait_for_url(f"{srv.url}/cable/{CABLE}#newsroom-tags")

        ana = signed_in(browser, srv.url, "ana", problems)
        assert note in ana.locator(f"#p{n} .note-text").all_inner_texts()
        assert "shared with El Pais" in ana.locator(f"#p{n} .note-meta").first.inner_text()
        assert tag in ana.locator(".ntags .chip").all_inner_texts()
        assert ana.locator(f"#p{n} form.inline").count() == 0  # a colleague's note: no delete button
        eva.context.close()
        ana.context.close()
    assert not problems, problems  # no CSP violation, no script error
