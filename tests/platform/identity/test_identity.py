"""Identity inside a municipality: provisioning from claims, roles, the administrator's pages,
the permission table, CSRF, rate limits and the idle timeout."""

from __future__ import annotations

import re
import time

import pytest
from helpers import app_env, bearer, login
from sqlalchemy import text

from autoproces.platform.permissions import PERMISSIONS, Action, Role

ISSUER = "https://login.alpha.example"


@pytest.fixture
def alpha(make):
    return make.tenant("alpha", "Alfa Kommune")


def _with_tenant(app, slug="alpha"):
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    tenant = tenant_by_slug(slug)
    activate_tenant(tenant)
    return tenant


def _save_idp(app, slug="alpha", **kw):
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import save_idp

    args = dict(
        issuer=ISSUER,
        client_id="autoproces",
        client_secret="s3cret",
        role_mapping={"rpa": "automation", "chef": "manager"},
        default_role="employee",
    )
    args.update(kw)
    with app.app_context():
        tenant = _with_tenant(app, slug)
        idp = save_idp(tenant, **args)
        db.session.commit()
        return idp.tenant_id


def _sso(app, claims, slug="alpha"):
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import get_idp, sso_user

    with app.app_context():
        tenant = _with_tenant(app, slug)
        user = sso_user(tenant, get_idp(tenant), claims)
        db.session.commit()
        return user.id, list(user.roles), user.roles_source, user.email, user.name


def test_sso_creates_the_user_and_maps_roles_at_every_login(app, alpha):
    _save_idp(app)
    claims = {"sub": "u1", "email": "Ada@Alpha.dk", "name": "Ada", "roles": ["rpa", "other"]}
    uid, roles, source, email, name = _sso(app, claims)
    assert roles == ["automation"] and source == "mapping" and email == "ada@alpha.dk"
    # Next login: the IdP says manager now, and the name changed.
    uid2, roles, source, _e, name = _sso(app, {**claims, "roles": "chef", "name": "Ada L."})
    assert uid2 == uid and roles == ["manager"] and name == "Ada L."
    # Nothing mapped: the default role.
    _uid, roles, source, _e, _n = _sso(app, {**claims, "roles": []})
    assert roles == ["employee"] and source == "default"


def test_sso_links_a_user_created_ahead_by_email(app, make, alpha):
    make.user(alpha, "tenant_admin", email="bo@alpha.dk")
    _save_idp(app)
    _uid, roles, source, _e, _n = _sso(app, {"sub": "bo", "email": "bo@alpha.dk"})
    assert roles == ["tenant_admin"] and source == "manual"  # nothing mapped: kept
    _uid, roles, source, _e, _n = _sso(app, {"sub": "bo", "email": "bo@alpha.dk", "roles": "rpa"})
    assert roles == ["automation"] and source == "mapping"  # the mapping decides


def test_sso_keeps_an_administrators_choice_when_nothing_is_mapped(app, alpha):
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import set_user_roles

    _save_idp(app)
    uid, *_ = _sso(app, {"sub": "u1", "email": "a@alpha.dk"})
    with app.app_context():
        tenant = _with_tenant(app)
        set_user_roles(tenant, uid, ["automation"])
        db.session.commit()
    _uid, roles, source, _e, _n = _sso(app, {"sub": "u1", "email": "a@alpha.dk"})
    assert roles == ["automation"] and source == "manual"
    _uid, roles, source, _e, _n = _sso(app, {"sub": "u1", "email": "a@alpha.dk", "roles": "chef"})
    assert roles == ["manager"] and source == "mapping"


@pytest.mark.parametrize(
    ("claims", "settings", "message"),
    [
        ({"sub": "x", "email": "x@evil.dk"}, {"allowed_domains": ["alpha.dk"]}, "evil.dk"),
        ({"sub": "x", "email": "not-an-email"}, {}, "e-mail"),
        ({"sub": "x", "email": "x@alpha.dk"}, {"default_role": None}, "rolle"),
    ],
)
def test_sso_refusals(app, alpha, claims, settings, message):
    from autoproces.platform.identity.services import LoginRefused

    _save_idp(app, **settings)
    with pytest.raises(LoginRefused, match=message):
        _sso(app, claims)


def test_deactivated_user_cannot_sign_in(app, alpha):
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import LoginRefused, set_user_active

    _save_idp(app)
    uid, *_ = _sso(app, {"sub": "u1", "email": "a@alpha.dk"})
    with app.app_context():
        set_user_active(_with_tenant(app), uid, False)
        db.session.commit()
    with pytest.raises(LoginRefused, match="deaktiveret"):
        _sso(app, {"sub": "u1", "email": "a@alpha.dk"})


def test_client_secret_is_stored_encrypted(app, alpha, su_engine):
    from autoproces.platform.identity.services import get_idp, idp_client

    _save_idp(app, client_secret="very-secret-value")
    with su_engine.connect() as conn:
        stored = conn.scalar(text("select client_secret_encrypted from tenant_idp"))
    assert "very-secret-value" not in stored
    with app.app_context():
        assert idp_client(get_idp(_with_tenant(app))).client_secret == "very-secret-value"


def test_idp_settings_validation(app, alpha):
    from autoproces.platform.errors import Invalid

    with pytest.raises(Invalid) as e:
        _save_idp(
            app,
            issuer="ftp://x",
            client_id=" ",
            scopes="profile",
            role_claim="a b",
            role_mapping={"x": "king"},
            default_role="queen",
            allowed_domains=["no"],
        )
    assert set(e.value.errors) == {
        "issuer",
        "client_id",
        "scopes",
        "role_claim",
        "role_mapping",
        "default_role",
        "allowed_domains",
    }
    with pytest.raises(Invalid) as e:
        _save_idp(app, issuer="http://login.example.com")
    assert "https" in str(e.value.errors["issuer"])
    with pytest.raises(Invalid) as e:  # urlsplit raises for it: named, not a 500
        _save_idp(app, issuer="https://[")
    assert "issuer" in e.value.errors


def test_role_mapping_text_is_parsed_with_line_numbers():
    from autoproces.platform.errors import Invalid
    from autoproces.platform.identity.services import parse_role_mapping

    assert parse_role_mapping("# comment\nGG-RPA = automation\n\nchef=manager") == {
        "GG-RPA": "automation",
        "chef": "manager",
    }
    with pytest.raises(Invalid) as e:
        parse_role_mapping("ok = employee\nno equals\nx = king")
    assert [m[:8] for m in e.value.errors["role_mapping"]] == ["Linje 2:", "Linje 3:"]


def test_cli_set_oidc(database, app, alpha):
    from click.testing import CliRunner

    from autoproces.platform.cli import main

    env = app_env(database)
    r = CliRunner().invoke(
        main,
        [
            "tenants",
            "set-oidc",
            "alpha",
            "--issuer",
            ISSUER,
            "--client-id",
            "ap",
            "--client-secret",
            "x",
            "--role-claim",
            "groups",
            "--role-map",
            "GG-RPA=automation",
            "--role-map",
            "GG-Chef=manager",
            "--default-role",
            "none",
            "--allowed-domain",
            "alpha.dk",
        ],
        env=env,
    )
    assert r.exit_code == 0, r.output
    from autoproces.platform.identity.services import get_idp

    with app.app_context():
        idp = get_idp(_with_tenant(app))
        assert idp.role_claim == "groups" and idp.default_role is None
        assert idp.role_mapping == {"GG-RPA": "automation", "GG-Chef": "manager"}
        assert idp.allowed_domains == ["alpha.dk"]
    r = CliRunner().invoke(
        main,
        [
            "tenants",
            "set-oidc",
            "alpha",
            "--issuer",
            ISSUER,
            "--client-id",
            "ap",
            "--client-secret",
            "x",
            "--role-map",
            "x=king",
        ],
        env=env,
    )
    assert r.exit_code == 1 and "king" in r.output


# --- the permission table -------------------------------------------------------------


def _probe(client, make, action: Action, user, own: bool):
    """Try `action` through its route; True when it was allowed."""
    slug = "alpha" if own else "beta"
    if action is Action.REPORT:
        r = client.post(f"/{slug}/processer/ny", data={"title": "t", "summary": "s"})
        return r.status_code == 302 and "/login" not in r.headers["Location"]
    if action is Action.READ:
        return client.get(f"/{slug}/processer").status_code == 200
    if action is Action.READ_ALL:
        private = make.process(make.user(make_tenant(slug), "employee"), visibility="personal")
        return client.get(f"/{slug}/processer/{private.id}").status_code == 200
    if action is Action.ADMINISTER:
        return client.get(f"/{slug}/admin/brugere").status_code == 200
    return None


_tenants: dict[str, object] = {}


def make_tenant(slug):
    return _tenants[slug]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_permission_table_is_enforced(client, app, make, role, action):
    alpha = make.tenant("alpha")
    beta = make.tenant("beta")
    _tenants.update(alpha=alpha, beta=beta)
    user = make.user(alpha, role.value)
    login(client, user)
    own = _probe(client, make, action, user, own=True)
    if own is None:
        # No route yet (edit, assess, publish arrive with the register): the service guard.
        from autoproces.platform.errors import Forbidden
        from autoproces.platform.identity.auth import require
        from autoproces.platform.identity.models import User

        with app.test_request_context():
            from autoproces.platform.db import db

            tenant = _with_tenant(app, "alpha")
            u = db.session.get(User, (tenant.id, user.id))
            try:
                require(u, action)
                own = True
            except Forbidden:
                own = False
            _with_tenant(app, "beta")
            with pytest.raises(Forbidden):
                require(u, action)  # never in another municipality
    else:
        assert _probe(client, make, action, user, own=False) in (False, None)
    assert own == (action in PERMISSIONS[role])


def test_roles_help_page_shows_the_table(client, make, alpha):
    login(client, make.user(alpha, "employee"))
    html = client.get("/alpha/hjaelp/roller").get_data(as_text=True)
    assert "Roller og rettigheder" in html and "Administrere log-in, brugere og API-nøgler" in html
    assert html.count('<th scope="row">') == len(Action)


# --- the administrator's pages ----------------------------------------------------------


def test_only_administrators_open_the_admin_pages(client, make, alpha):
    for role, status in (
        ("employee", 403),
        ("automation", 403),
        ("manager", 403),
        ("tenant_admin", 200),
    ):
        login(client, make.user(alpha, role))
        for path in (
            "/alpha/admin/",
            "/alpha/admin/log-in",
            "/alpha/admin/brugere",
            "/alpha/admin/noegler",
        ):
            assert client.get(path).status_code == status, (role, path)


def test_admin_sets_up_the_identity_provider(client, make, alpha, su_engine):
    login(client, make.user(alpha, "tenant_admin"))
    html = client.get("/alpha/admin/log-in").get_data(as_text=True)
    assert "http://localhost/alpha/auth/callback" in html
    r = client.post(
        "/alpha/admin/log-in",
        data={
            "action": "save",
            "issuer": ISSUER,
            "client_id": "ap",
            "client_secret": "topsecret",
            "scopes": "openid profile email",
            "role_claim": "groups",
            "role_mapping": "GG-RPA = automation",
            "default_role": "employee",
            "allowed_domains": "alpha.dk",
        },
    )
    assert r.status_code == 302
    html = client.get("/alpha/admin/log-in").get_data(as_text=True)
    assert "topsecret" not in html and "GG-RPA = automation" in html
    # Saving again with the secret left blank keeps it.
    r = client.post(
        "/alpha/admin/log-in",
        data={
            "action": "save",
            "issuer": ISSUER,
            "client_id": "ap2",
            "client_secret": "",
            "scopes": "openid",
            "role_claim": "groups",
            "role_mapping": "",
            "default_role": "",
        },
    )
    assert r.status_code == 302
    with su_engine.connect() as conn:
        row = conn.execute(
            text("select client_id, client_secret_encrypted, default_role from tenant_idp")
        ).one()
    assert row.client_id == "ap2" and row.client_secret_encrypted and row.default_role is None
    r = client.post(
        "/alpha/admin/log-in",
        data={"action": "save", "issuer": "nope", "client_id": "", "role_mapping": "x = king"},
    )
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Indstillingerne kunne ikke gemmes" in html and "ukendt rolle king" in html


def test_test_connection_reports_an_unreachable_provider(client, make, alpha):
    login(client, make.user(alpha, "tenant_admin"))
    r = client.post(
        "/alpha/admin/log-in", data={"action": "test", "issuer": "http://127.0.0.1:9/nothing"}
    )
    assert r.status_code == 200
    assert "Forbindelsen virker ikke" in r.get_data(as_text=True)


def test_admin_manages_users(client, make, alpha, app):
    admin = make.user(alpha, "tenant_admin")
    other = make.user(alpha, "employee", name="Erik")
    login(client, admin)
    assert "Erik" in client.get("/alpha/admin/brugere").get_data(as_text=True)
    r = client.post(f"/alpha/admin/brugere/{other.id}/roller", data={"roles": ["automation"]})
    assert r.status_code == 302
    r = client.post(f"/alpha/admin/brugere/{other.id}/aktiv", data={"active": "0"})
    assert r.status_code == 302
    from autoproces.platform.identity.services import get_user

    with app.app_context():
        u = get_user(_with_tenant(app), other.id)
        assert u.roles == ["automation"] and not u.active
    # Administrators cannot lock themselves out.
    client.post(f"/alpha/admin/brugere/{admin.id}/aktiv", data={"active": "0"})
    with app.app_context():
        assert get_user(_with_tenant(app), admin.id).active
    # No roles at all is refused.
    r = client.post(f"/alpha/admin/brugere/{other.id}/roller", data={})
    assert r.status_code == 422


def test_roles_managed_by_the_mapping_cannot_be_changed_by_hand(client, make, alpha, app):
    _save_idp(app)
    uid, *_ = _sso(app, {"sub": "u1", "email": "a@alpha.dk", "roles": "rpa"})
    login(client, make.user(alpha, "tenant_admin"))
    r = client.post(f"/alpha/admin/brugere/{uid}/roller", data={"roles": ["employee"]})
    assert r.status_code == 422 and "styres af" in r.get_data(as_text=True)


def test_admin_creates_lists_and_revokes_api_tokens(client, make, alpha):
    admin = make.user(alpha, "tenant_admin")
    login(client, admin)
    r = client.post(
        "/alpha/admin/noegler", data={"name": "ESDH-integration", "user_id": str(admin.id)}
    )
    assert r.status_code == 201
    html = r.get_data(as_text=True)
    secret = re.search(r'<code id="new-token">([^<]+)</code>', html).group(1)
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    listing = client.get("/alpha/admin/noegler").get_data(as_text=True)
    assert "ESDH-integration" in listing and secret not in listing and secret[:10] in listing
    token_id = re.search(r"/alpha/admin/noegler/([0-9a-f-]+)/tilbagekald", listing).group(1)
    client.post(f"/alpha/admin/noegler/{token_id}/tilbagekald")
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert "Tilbagekaldt" in client.get("/alpha/admin/noegler").get_data(as_text=True)


def test_admin_pages_never_touch_another_municipality(client, make, alpha):
    beta = make.tenant("beta")
    beta_user = make.user(beta, "employee", name="Beate Beta")
    login(client, make.user(alpha, "tenant_admin"))
    assert "Beate Beta" not in client.get("/alpha/admin/brugere").get_data(as_text=True)
    for path in (
        f"/alpha/admin/brugere/{beta_user.id}/aktiv",
        f"/alpha/admin/brugere/{beta_user.id}/roller",
    ):
        assert client.post(path, data={"active": "0", "roles": ["employee"]}).status_code == 404
    assert client.get("/beta/admin/brugere").status_code == 302  # not logged in there


# --- front page --------------------------------------------------------------------------


def test_front_page_search_and_last_choice(client, make, alpha):
    make.tenant("beta", "Beta Kommune", municipality_code="706")
    html = client.get("/?q=alf").get_data(as_text=True)
    assert "Alfa Kommune" in html and "Beta Kommune" not in html
    assert "Beta Kommune" in client.get("/?q=706").get_data(as_text=True)
    assert "Ingen kommuner matcher" in client.get("/?q=zzz").get_data(as_text=True)
    login(client, make.user(alpha, "employee"))
    client.get("/alpha/processer")
    html = client.get("/").get_data(as_text=True)
    assert "Fortsæt til Alfa Kommune" in html


# --- CSRF, rate limits, idle timeout ---------------------------------------------------------


@pytest.fixture
def strict_app(database):
    from autoproces.platform.app import create_app

    return create_app(
        app_env(database, AUTOPROCES_IDLE_TIMEOUT_MINUTES="1"),
        TESTING=True,
        LOGIN_RATE_LIMIT="3/minute",
        TOKEN_RATE_LIMIT="2/minute",
    )


def test_every_form_needs_its_csrf_token(strict_app, make, alpha):
    client = strict_app.test_client()
    user = make.user(alpha, "tenant_admin")
    login(client, user)
    r = client.post("/alpha/processer/ny", data={"title": "t", "summary": "s"})
    assert r.status_code == 400 and "Formularen er udløbet" in r.get_data(as_text=True)
    pages = [
        "/alpha/processer/ny",
        "/alpha/admin/log-in",
        "/alpha/admin/brugere",
        "/alpha/admin/noegler",
        "/alpha/processer",
        "/",
    ]
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S):
            assert 'name="csrf_token"' in form, (page, form[:120])
    html = client.get("/alpha/processer/ny").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = client.post("/alpha/processer/ny", data={"title": "t", "summary": "s", "csrf_token": token})
    assert r.status_code == 302


def test_api_needs_no_csrf_token(strict_app, make, alpha):
    token = make.token(make.user(alpha, "employee"))
    r = strict_app.test_client().post(
        "/api/v1/processes", json={"title": "t", "summary": "s"}, headers=bearer(token)
    )
    assert r.status_code == 201


def test_login_and_token_creation_are_rate_limited(strict_app, make, alpha):
    client = strict_app.test_client()
    statuses = [client.get("/alpha/login").status_code for _ in range(4)]
    assert statuses[:3] == [503, 503, 503] and statuses[3] == 429
    assert "for mange forsøg" in client.get("/alpha/login").get_data(as_text=True).lower()
    admin = make.user(alpha, "tenant_admin")
    login(client, admin)
    html = client.get("/alpha/admin/noegler").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    codes = [
        client.post("/alpha/admin/noegler", data={"csrf_token": csrf}).status_code for _ in range(3)
    ]
    assert codes == [201, 201, 429]


def test_session_cookie_flags_and_idle_timeout(strict_app, make, alpha, monkeypatch):
    client = strict_app.test_client()
    user = make.user(alpha, "employee")
    login(client, user)
    with client.session_transaction() as sess:
        sess.permanent = True
    r = client.get("/alpha/processer")
    assert r.status_code == 200
    cookie = next(c for c in r.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert client.get("/alpha/processer").status_code == 200  # the renewed cookie works
    # 61 idle minutes later the signed session has expired.
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 61 * 60)
    assert client.get("/alpha/processer").status_code == 302


def test_sso_falls_back_to_preferred_username_for_the_email(app, alpha):
    _save_idp(app)
    _uid, _roles, _src, email, name = _sso(app, {"sub": "e1", "preferred_username": "Kim@Alpha.dk"})
    assert email == "kim@alpha.dk" and name == "kim@alpha.dk"


def test_rate_limits_can_be_kept_in_redis(database, make, alpha):
    import uuid

    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    from autoproces.platform.app import create_app

    prefix = f"autoproces-test-{uuid.uuid4().hex[:8]}"
    env = app_env(database, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0")
    apps = [
        create_app(env, TESTING=True, LOGIN_RATE_LIMIT="2/minute", RATELIMIT_KEY_PREFIX=prefix)
        for _ in range(2)
    ]
    # Two web processes share one budget.
    codes = [apps[i % 2].test_client().get("/alpha/login").status_code for i in range(3)]
    assert codes == [503, 503, 429]
    r = redis.Redis(host="127.0.0.1", port=6379)
    assert r.keys(f"*{prefix}*")
    for key in r.keys(f"*{prefix}*"):
        r.delete(key)
