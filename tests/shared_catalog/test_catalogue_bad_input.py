"""Bad input on every catalogue form, page and API operation, as a hostile or careless
client sends it: control characters, NUL, lone surrogates (in JSON, forms and query
strings), huge and deeply nested bodies, wrong types, unknown facet values and sorts, page
numbers out of range, over-long words, words of tsquery operators only, malformed UUIDs.
The answer is a clear 4xx (JSON naming the field, or a Danish page) or the normal page;
never a 500 (TESTING propagates what would have been one, failing the test)."""

from __future__ import annotations

import json

import pytest
from helpers import bearer, login, operator_login
from reuse_world import build

# Query-string values exactly as they go on the wire.
BAD_WORDS = [
    "%00",  # NUL
    "a%00b",
    "%ED%A0%80",  # a lone surrogate, UTF-8 encoded (not UTF-8 at all)
    "%F0%28%8C%28",  # broken UTF-8
    "%01%02%1b%7f",  # control characters
    "%26%7C%21%28%29%3A%2A%27%5C",  # &|!():*'\
    "%21%21%21",
    "%28%28%28%28",
    "%27%27%27",
    "%3A%2A",
    "%5C%5C",
    "-",
    "%22",  # a lone quote
    "or",
    "x%3A%2A%26y",
    "a" * 199,
    "a" * 5000,  # over the 200 characters
    "%C2%BD%C2%B2" * 50,  # digits the parser sees apart
    "%E2%80%8B",  # a zero-width space
    "%20%20%20",
]
FACET_VALUES = [
    ("domain", "%00"),
    ("domain", "Findes%20ikke"),
    ("domain", "x" * 5000),
    ("kle", "99"),
    ("kle", "ab"),
    ("kle", "%ED%A0%80"),
    ("phase", "nope"),
    ("phase", "%01"),
    ("technology", "%27%3B%20drop%20table"),
    ("vendor", "%00"),
    ("publisher", "Ukendt"),
    ("size_band", "huge"),
    ("benefit", "7"),
    ("benefit", "-1"),
    ("benefit", "abc"),
    ("benefit", "1e9"),
    ("benefit", "9" * 5000),
    ("sort", "nope"),
    ("sort", "relevance%00"),
    ("sort", "newest"),
    ("page", "0"),
    ("page", "-5"),
    ("page", "999999"),
    ("page", "100000"),
    ("page", "1" * 30),
    ("page", "9" * 5000),
    ("page", "abc"),
    ("page", "1.5"),
    ("per_page", "0"),
    ("per_page", "101"),
    ("per_page", "-1"),
    ("per_page", "1" * 30),
    ("unknown", "x"),
]
BAD_UUIDS = ["not-a-uuid", "00000000-0000-0000-0000-00000000000", "%00", "1", "%ED%A0%80"]


@pytest.fixture
def world(app, make):
    return build(app, make)


@pytest.fixture
def reader(client, world):
    login(client, world.bo)
    return client


def _page_ok(r, *allowed: int) -> str:
    assert r.status_code in (allowed or (200,)), (r.status_code, r.get_data(as_text=True)[:500])
    html = r.get_data(as_text=True)
    if r.status_code >= 400:
        assert '<html lang="da"' in html or "lang=da" in html or "<!doctype" in html.lower()
    return html


def _json_error(r, status: int | tuple[int, ...], field: str | tuple | None = None) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, (r.status_code, r.get_data(as_text=True)[:500])
    body = r.get_json()
    assert body is not None and body.get("message"), body
    if field is not None:
        fields = field if isinstance(field, tuple) else (field,)
        assert any(f in json.dumps(body.get("errors", {})) for f in fields), body
    return body


# --- search: the page and the API --------------------------------------------------------


# Each test below runs a list of values against one surface: one world (a published entry)
# per surface keeps the run short; the assertion names the value that failed.


def test_bad_words_search_the_page(reader):
    for q in BAD_WORDS:
        _page_ok(reader.get(f"/beta/katalog?q={q}"), 200, 400)


def test_bad_words_search_the_api(client, world):
    for q in BAD_WORDS:
        r = client.get(f"/api/v1/catalogue?q={q}", headers=bearer(world.bo_token))
        if r.status_code == 200:
            assert isinstance(r.get_json()["items"], list)
        else:
            _json_error(r, (400, 422))


def test_words_of_operators_only_find_what_the_empty_search_finds_or_nothing(client, world):
    for q in ("%26%7C%21%28%29%3A%2A%27%5C", "%21%21%21", "%3A%2A", "-"):
        r = client.get(f"/api/v1/catalogue?q={q}", headers=bearer(world.bo_token))
        assert r.status_code == 200, q
        assert r.get_json()["total"] in (0, 1), q


def test_over_long_words_name_the_field(client, world):
    r = client.get(f"/api/v1/catalogue?q={'a' * 5000}", headers=bearer(world.bo_token))
    _json_error(r, 422, "q")


def test_bad_facets_sorts_and_pages_on_the_page(reader):
    for name, value in FACET_VALUES:
        _page_ok(reader.get(f"/beta/katalog?q=faktura&{name}={value}"), 200, 400)


def test_bad_facets_sorts_and_pages_in_the_api(client, world):
    for name, value in FACET_VALUES:
        r = client.get(f"/api/v1/catalogue?{name}={value}", headers=bearer(world.bo_token))
        if r.status_code == 200:
            body = r.get_json()
            assert body["total"] in (0, 1) and len(body["items"]) <= body["total"], name
        elif r.status_code == 422:
            _json_error(r, 422, name)
        else:
            _json_error(r, 400)


def test_an_unknown_facet_value_finds_nothing(client, world):
    r = client.get("/api/v1/catalogue?domain=Findes%20ikke", headers=bearer(world.bo_token))
    assert r.status_code == 200 and r.get_json()["total"] == 0


def test_a_page_past_the_end_is_empty_and_a_page_past_the_limit_is_named(client, world):
    # As the register's list: the page asked for, empty, with the true total and page count.
    r = client.get("/api/v1/catalogue?page=99999", headers=bearer(world.bo_token))
    assert r.status_code == 200
    assert (r.get_json()["items"], r.get_json()["total"], r.get_json()["pages"]) == ([], 1, 1)
    r = client.get("/api/v1/catalogue?page=100001", headers=bearer(world.bo_token))
    _json_error(r, 422, "page")


def test_repeated_and_mixed_parameters(reader, client, world):
    url = "q=a&q=b&sort=newest&sort=nope&page=2&page=-1&benefit=1&benefit=x"
    _page_ok(reader.get(f"/beta/katalog?{url}"), 200, 400)
    r = client.get(f"/api/v1/catalogue?{url}", headers=bearer(world.bo_token))
    assert r.status_code in (200, 400, 422)


# --- malformed ids in the URL --------------------------------------------------------------


ENTRY_PAGES = ["", "/versions/1", "/kontakt", "/filer/{u}"]
ENTRY_POSTS = ["/kopier", "/interesse", "/kontakt", "/traek-tilbage"]
API_GETS = ["", "/versions", "/versions/1"]
API_POSTS = ["/copy", "/interest", "/contact", "/withdraw"]


@pytest.mark.parametrize("bad", BAD_UUIDS)
def test_malformed_ids_are_not_found(reader, client, world, bad):
    good = world.entry_id
    for tail in ENTRY_PAGES:
        _page_ok(reader.get(f"/beta/katalog/{bad}" + tail.format(u=bad)), 404, 400)
    _page_ok(reader.get(f"/beta/katalog/{good}/filer/{bad}"), 404, 400)
    for tail in ENTRY_POSTS:
        _page_ok(reader.post(f"/beta/katalog/{bad}{tail}"), 404, 400)
    _page_ok(reader.post(f"/beta/katalog/kopi/{bad}/set"), 404, 400)
    _page_ok(reader.get(f"/alpha/processer/{bad}/del"), 404, 400)
    for tail in API_GETS:
        _json_error(
            client.get(f"/api/v1/catalogue/{bad}{tail}", headers=bearer(world.bo_token)),
            (400, 404),
        )
    for tail in API_POSTS:
        _json_error(
            client.post(f"/api/v1/catalogue/{bad}{tail}", json={}, headers=bearer(world.bo_token)),
            (400, 404),
        )
    for tail in ("/publish/preview", "/publish"):
        _json_error(
            client.post(
                f"/api/v1/processes/{bad}{tail}", json={}, headers=bearer(world.team_token)
            ),
            (400, 404),
        )
    assert client.get(f"/katalog/{bad}").status_code in (400, 404)


def test_version_numbers_out_of_range(reader, client, world):
    for number in ("0", "-1", "99", "9" * 30, "abc"):
        _page_ok(reader.get(f"/beta/katalog/{world.entry_id}/versions/{number}"), 404)
        r = client.get(
            f"/api/v1/catalogue/{world.entry_id}/versions/{number}",
            headers=bearer(world.bo_token),
        )
        _json_error(r, 404)


def test_the_feeds_page_numbers(client, world):
    for page in ("0", "-3", "abc", "9" * 30, "9" * 5000, "%00", "%ED%A0%80"):
        r = client.get(f"/katalog/feed.jsonld?page={page}")
        assert r.status_code in (200, 400), (page, r.status_code)
        if r.status_code == 200:
            assert json.loads(r.data)["hydra:totalItems"] == 1


# --- JSON bodies ---------------------------------------------------------------------------


def _raw(client, method, url, body: str | bytes, token, content_type="application/json"):
    data = body.encode() if isinstance(body, str) else body
    return getattr(client, method)(url, data=data, content_type=content_type, headers=bearer(token))


DEEP = "[" * 5000 + "]" * 5000
BAD_JSON_BODIES = [
    ('{"body": "\\ud800"}', (422,), "body"),
    ('{"body": "a\\u0000b"}', (422,), "body"),
    ('{"wants_to_help": "\\udfff"}', (422,), "wants_to_help"),
    ('{"\\ud800": 1}', (422,), None),
    (DEEP, (400,), None),
    ('{"body": ' + DEEP + "}", (400,), None),
    ("{", (400,), None),
    ("null", (400, 422), None),
    ("[]", (400, 422), None),
    ('"text"', (400, 422), None),
    ("42", (400, 422), None),
    ('{"body": 42, "wants_to_help": "maybe"}', (422,), None),
    ('{"body": ["a"], "wants_to_help": [true]}', (422,), None),
    ('{"body": {"a": 1}, "wants_to_help": {}}', (422,), None),
    ("\xff\xfe", (400,), None),
]


@pytest.mark.parametrize("tail", ["/interest", "/contact"])
def test_bad_json_to_reuse_operations(client, world, tail):
    for body, statuses, field in BAD_JSON_BODIES:
        r = _raw(client, "post", f"/api/v1/catalogue/{world.entry_id}{tail}", body, world.bo_token)
        _json_error(r, statuses, field)


PUBLISH_BODIES = [
    ('{"fingerprint": "\\ud800", "size_band": "small"}', (422,), "fingerprint"),
    ('{"fingerprint": "x", "size_band": "small\\u0000"}', (422,), "size_band"),
    ('{"fingerprint": 5, "size_band": ["small"]}', (422,), "fingerprint"),
    ('{"fingerprint": "' + "a" * 64 + '", "size_band": "huge"}', (422,), "size_band"),
    ('{"fingerprint": "' + "a" * 64 + '", "size_band": "small", "note": 7}', (422,), "note"),
    (
        '{"fingerprint": "' + "a" * 64 + '", "size_band": "small", "attachment_ids": ["x"]}',
        (422,),
        "attachment_ids",
    ),
    (
        '{"fingerprint": "' + "a" * 64 + '", "size_band": "small", "attachment_ids": "x"}',
        (422,),
        "attachment_ids",
    ),
    ('{"extra_redactions": {"description": "x"}}', (422,), "extra_redactions"),
    ('{"extra_redactions": {"nope": ["x"]}}', (422,), "extra_redactions"),
    ('{"extra_redactions": {"description": [""]}}', (422,), "extra_redactions"),
    ('{"extra_redactions": {"description": [{"a": 1}]}}', (422,), "extra_redactions"),
    ('{"extra_redactions": {"description": ["a\\u0000"]}}', (422,), "extra_redactions"),
    ('{"extra_redactions": {"description": ["\\udc00"]}}', (422,), "extra_redactions"),
    ('{"extra_redactions": {"' + "k" * 100 + '": ["x"]}}', (422,), "extra_redactions"),
    ('{"extra_redactions": {"description": ' + json.dumps(["x"] * 51) + "}}", (422,), None),
    ('{"extra_redactions": []}', (422,), "extra_redactions"),
    ('{"restore": "x"}', (422,), "restore"),
    ('{"restore": ["x"]}', (422,), "restore_confirmed"),
    ('{"restore": ["x"], "restore_confirmed": "maybe"}', (422,), "restore_confirmed"),
    ('{"restore": [' + ",".join(['"a"'] * 501) + "]}", (422,), "restore"),
    ('{"restore": [1, null, {}]}', (422,), "restore"),
    (DEEP, (400,), None),
    ("[]", (400, 422), None),
]


@pytest.mark.parametrize("tail", ["/publish/preview", "/publish"])
def test_bad_json_to_publish_operations(client, world, tail):
    url = f"/api/v1/processes/{world.process.id}{tail}"
    for body, statuses, field in PUBLISH_BODIES:
        r = _raw(client, "post", url, body, world.team_token)
        named = field
        if tail == "/publish" and "fingerprint" not in body and statuses == (422,):
            named = (field or "fingerprint", "fingerprint")  # or the missing fingerprint
        elif tail == "/publish/preview" and field in ("fingerprint", "size_band", "note"):
            named = None  # the preview takes no such field (ignored, or a 422 elsewhere)
        if tail == "/publish/preview" and field in (
            "fingerprint",
            "size_band",
            "note",
            "attachment_ids",
        ):
            assert r.status_code in (200, 422), (body, r.status_code)
            continue
        _json_error(r, statuses, named)


def test_a_huge_body_is_refused(client, world):
    big = '{"body": "' + "a" * (26 * 1024 * 1024) + '"}'
    r = _raw(client, "post", f"/api/v1/catalogue/{world.entry_id}/contact", big, world.bo_token)
    _json_error(r, 413)
    r = _raw(
        client,
        "post",
        f"/api/v1/catalogue/{world.entry_id}/contact",
        '{"body": "' + "a" * 100_000 + '"}',
        world.bo_token,
    )
    _json_error(r, 422, "body")


def test_an_extra_redaction_of_a_huge_number_of_phrases_over_the_api(client, world):
    body = {"extra_redactions": {"description": ["a" * 500] * 50}}
    r = client.post(
        f"/api/v1/processes/{world.process.id}/publish/preview",
        json=body,
        headers=bearer(world.team_token),
    )
    assert r.status_code == 200


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
    ],
)
def test_other_content_types_to_the_api(client, world, content_type):
    for url, token in (
        (f"/api/v1/catalogue/{world.entry_id}/contact", world.bo_token),
        (f"/api/v1/catalogue/{world.entry_id}/interest", world.bo_token),
        (f"/api/v1/processes/{world.process.id}/publish", world.team_token),
    ):
        r = _raw(client, "post", url, b"body=a\x00b", token, content_type)
        assert 400 <= r.status_code < 500 or r.status_code == 200, (url, r.status_code)


# --- HTML forms ------------------------------------------------------------------------------


# (A lone surrogate cannot be encoded by the test client: see test_raw_bytes_in_form_posts.)
FORM_VALUES = [
    "a\x00b",
    "\x01\x02\x1b",
    "x" * 100_000,
    "&|!():*'\\",
    "",
]


def test_bad_values_in_the_reuse_forms(app, world):
    c = app.test_client()
    login(c, world.bo)
    base = f"/beta/katalog/{world.entry_id}"
    for value in FORM_VALUES:
        for data in ({"body": value}, {"body": value, "extra": value}):
            _page_ok(c.post(f"{base}/kontakt", data=data), 200, 302, 400, 422)
        for data in ({"withdraw": value}, {"wants_to_help": value}, {"withdraw": "1"}):
            _page_ok(c.post(f"{base}/interesse", data=data), 302, 400)
        _page_ok(c.post(f"{base}/kopier", data={"x": value}), 302, 400)


def _encoded_form(pairs: list[tuple[str, str]]) -> bytes:
    """A form body with bytes no browser sends: percent-encoded NUL, surrogates, bad UTF-8."""
    return "&".join(f"{k}={v}" for k, v in pairs).encode()


@pytest.mark.parametrize("raw", ["%00", "%ED%A0%80", "%FF%FE%01%1b"])
def test_raw_bytes_in_form_posts(app, world, raw):
    c = app.test_client()
    login(c, world.bo)
    base = f"/beta/katalog/{world.entry_id}"
    ct = "application/x-www-form-urlencoded"
    for url, pairs in (
        (f"{base}/kontakt", [("body", raw)]),
        (f"{base}/interesse", [("wants_to_help", raw)]),
        (f"{base}/kopier", [("x", raw)]),
    ):
        r = c.post(url, data=_encoded_form(pairs), content_type=ct)
        _page_ok(r, 200, 302, 400, 422)
    team = app.test_client()
    login(team, world.team)
    url = f"/alpha/processer/{world.process.id}/del"
    for pairs in (
        [("extra-description", raw)],
        [("restore", raw), ("restore_confirmed", raw)],
        [("publish", "1"), ("fingerprint", raw), ("size_band", raw), ("note", raw)],
        [("publish", "1"), ("attachment_ids", raw), ("attribution", raw)],
    ):
        r = team.post(url, data=_encoded_form(pairs), content_type=ct)
        _page_ok(r, 200, 400, 409, 422)


PUBLISH_FORMS = [
    {"extra-description": "x" * 100_000},
    {"extra-description": ";".join(["ord"] * 60)},
    {"extra-nope": "x"},
    {"extra-description": "\x01\x02"},
    {"restore": "description:0:5"},
    {"restore": "nope", "restore_confirmed": "1"},
    {"restore": ["x"] * 2000, "restore_confirmed": "1"},
    {"publish": "1"},
    {"publish": "1", "fingerprint": "x" * 100_000, "size_band": "small"},
    {"publish": "1", "fingerprint": "", "size_band": "huge"},
    {"publish": "1", "size_band": "small", "note": "n" * 100_000},
    {"publish": "1", "size_band": "small", "attachment_ids": "not-a-uuid"},
    {
        "publish": "1",
        "size_band": "small",
        "attachment_ids": "00000000-0000-0000-0000-000000000000",
    },
    {"publish": "1", "size_band": "small", "attribution": "x" * 1000},
    {"publish": "1", "size_band": "small", "note": "&|!():*'\\"},
]


def test_bad_values_in_the_publish_form(app, world):
    c = app.test_client()
    login(c, world.team)
    for data in PUBLISH_FORMS:
        r = c.post(f"/alpha/processer/{world.process.id}/del", data=data)
        _page_ok(r, 200, 400, 409, 422)


def test_bad_reasons_in_the_operator_form(app, make, world):
    c = app.test_client()
    operator_login(c, make.operator())
    for value in ("a\x00b", "\x01" * 10, "x" * 100_000, "", " "):
        r = c.post(f"/operator/katalog/{world.entry_id}/skjul", data={"reason": value})
        _page_ok(r, 302, 400, 422)
    for page in ("?side=-1", "?side=abc", "?side=" + "9" * 5000, "?side=%00"):
        _page_ok(c.get(f"/operator/katalog/{page}"), 200, 400)
    _page_ok(c.get("/operator/katalog/not-a-uuid"), 404)
    _page_ok(c.post("/operator/katalog/not-a-uuid/vis"), 404, 400)
