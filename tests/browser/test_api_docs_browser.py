"""The API documentation at /api/v1/docs works in Chromium under the app's own CSP: every
operation is listed, nothing is blocked, nothing is fetched from another origin, and a
call made from the page with a token answers."""

from __future__ import annotations

from playwright.sync_api import expect


def test_swagger_ui_works_under_the_csp(new_page, live_server, client, make):
    page = new_page(locale="en-GB")  # no bypass_csp: the page works under the app's policy
    tenant = make.tenant("alpha", "Alfa Kommune")
    token = make.token(make.user(tenant, "automation", name="Ada Alfa"))
    spec = client.get("/api/v1/openapi.json").get_json()
    count = sum(
        1
        for item in spec["paths"].values()
        for m in item
        if m in ("get", "post", "put", "patch", "delete")
    )
    problems: list[str] = []
    foreign: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text)
        if m.type == "error" and "Failed to load resource" not in m.text
        else None,
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    # The browser asks for /favicon.ico by itself (the favicon is another point of issue 8).
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}")
        if r.status >= 400 and not r.url.endswith("/favicon.ico")
        else None,
    )
    page.on(
        "request",
        lambda r: foreign.append(r.url) if not r.url.startswith((live_server, "data:")) else None,
    )
    page.goto(live_server + "/api/v1/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() == count
    expect(page.get_by_text("Autoproces API").first).to_be_visible()

    # Authorize with a token and call GET /api/v1/me from the page.
    page.get_by_role("button", name="Authorize").click()
    page.locator(".modal-ux input").fill(token)
    page.locator(".modal-ux button.modal-btn.authorize").click()
    page.locator(".modal-ux button.btn-done").click()
    me = page.locator(".opblock-get", has=page.locator('[data-path="/api/v1/me"]'))
    me.locator(".opblock-summary").click()
    me.get_by_role("button", name="Try it out").click()
    me.get_by_role("button", name="Execute").click()
    status = me.locator(".live-responses-table tbody td.response-col_status").first
    status.wait_for()
    assert status.inner_text().strip().startswith("200")
    assert "Ada Alfa" in me.locator(".live-responses-table").inner_text()

    assert problems == []  # a CSP violation shows as a console error
    assert foreign == []
