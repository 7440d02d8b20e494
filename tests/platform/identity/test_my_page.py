"""Min side (/<tenant>/min-side): the signed-in user's name, e-mail, municipality and roles,
linked from the name in the header, and the components' "user" panels."""

from __future__ import annotations

import lxml.html
from helpers import login


def test_min_side_shows_the_user_and_is_linked_from_the_header(client, make):
    tenant = make.tenant("alpha", "Alfa Kommune")
    user = make.user(tenant, "manager", email="lis@alpha.dk", name="Lis Leder")
    login(client, user)
    html = client.get("/alpha/processer").get_data(as_text=True)
    links = lxml.html.fromstring(html).xpath('//p[@class="user"]/a')
    assert [(a.text, a.get("href")) for a in links] == [("Lis Leder", "/alpha/min-side")] * 2
    r = client.get("/alpha/min-side")
    assert r.status_code == 200
    doc = lxml.html.fromstring(r.get_data(as_text=True))
    facts = dict(
        zip(
            [dt.text_content().strip() for dt in doc.xpath('//dl[@class="app-facts"]/dt')],
            [
                dd.text_content().split("·")[0].strip()
                for dd in doc.xpath('//dl[@class="app-facts"]/dd')
            ],
            strict=True,
        )
    )
    assert facts == {
        "Navn": "Lis Leder",
        "E-mail": "lis@alpha.dk",
        "Kommune": "Alfa Kommune",
        "Roller": "Leder",
    }
    # A component's panel (the saved searches) is on the page.
    assert doc.get_element_by_id("gemte-soegninger") is not None


def test_min_side_needs_a_sign_in_in_its_own_municipality(client, make):
    alpha, beta = make.tenant("alpha"), make.tenant("beta")
    login(client, make.user(beta, "employee"))
    r = client.get("/alpha/min-side")
    assert r.status_code == 302 and r.headers["Location"].startswith("/alpha/login")
    assert client.get("/nowhere/min-side").status_code == 404
    r = client.get("/beta/min-side")
    assert r.status_code == 200
    assert alpha.name not in r.get_data(as_text=True)
