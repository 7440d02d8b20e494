"""Every route that takes a saved search (pages and API, found in the URL map) answers 404
to another user of the same municipality and to another municipality, and changes nothing."""

from __future__ import annotations

import pytest
from helpers import bearer, login
from sqlalchemy import text


@pytest.mark.parametrize("who", ["other", "stranger"])
def test_every_route_with_a_search_id_refuses_anyone_but_its_user(
    app, client, make, world, su_engine, who
):
    owner = bearer(make.token(world.employee))
    search_id = client.post(
        "/api/v1/saved-searches", json={"name": "Min", "query": {"q": "faktura"}}, headers=owner
    ).get_json()["id"]
    intruder = getattr(world, who)
    token = make.token(intruder)
    login(client, intruder)
    slug = "alpha" if who == "other" else "beta"
    checked = 0
    for rule in app.url_map.iter_rules():
        if "search_id" not in rule.arguments:
            continue
        values = {"search_id": search_id}
        if "tenant_slug" in rule.arguments:
            values["tenant_slug"] = slug
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            api = path.startswith("/api/")
            r = client.open(
                path,
                method=method,
                headers=bearer(token) if api else {},
                **(
                    {"json": {"name": "Overtaget", "notify": True}}
                    if api and method == "PATCH"
                    else {"data": {"name": "Overtaget", "notify": "true"}}
                    if not api and method == "POST"
                    else {}
                ),
            )
            assert r.status_code == 404, (method, path, r.status_code)
            checked += 1
    assert checked >= 8
    with su_engine.connect() as conn:
        row = conn.execute(text("select name, notify, query from saved_search")).one()
    assert tuple(row) == ("Min", False, {"q": "faktura"})
