"""A real OpenID Connect provider for tests: tests/oidc/provider.mjs (npm `oidc-provider`)
run on loopback by node, and a `requests` driver for its login pages.

    with OidcProvider(tmp_path, clients=[{"client_id": "alpha", ...}]) as idp:
        idp.set_account("ada", email="ada@alpha.dk", roles=["rpa-team"])
        callback_url = login_via_provider(authorize_url, "ada")

Needs `node` on PATH and oidc-provider in the repo's node_modules (`npm ci`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "oidc" / "provider.mjs"
START_TIMEOUT = 20.0

DEFAULT_CLAIMS = {
    "openid": ["sub"],
    "email": ["email", "email_verified"],
    "profile": ["name", "given_name", "family_name"],
    "roles": ["roles"],
    "groups": ["groups"],
}


class OidcProvider:
    """One provider process. Accounts: login name (= `sub`) -> claims; any password is
    accepted, and a login with no account gets only `sub`. Consent is auto-granted."""

    def __init__(self, tmp_dir: Path, clients: list[dict], claims: dict | None = None) -> None:
        self.tmp_dir = Path(tmp_dir)
        self.clients = clients
        self.claims = DEFAULT_CLAIMS if claims is None else claims
        self.accounts: dict[str, dict] = {}
        self.accounts_file = self.tmp_dir / "oidc_accounts.json"
        self.log_file = self.tmp_dir / "oidc_provider.log"  # the provider's stderr
        self._issuer: str | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._stdout: list[str] = []

    @property
    def issuer(self) -> str:
        if self._issuer is None:
            raise RuntimeError("OidcProvider is not started")
        return self._issuer

    def start(self) -> OidcProvider:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not on PATH")
        if not (ROOT / "node_modules" / "oidc-provider").is_dir():
            raise RuntimeError(f"oidc-provider is missing from {ROOT}/node_modules: run `npm ci`")
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self._write_accounts()
        config = self.tmp_dir / "oidc_config.json"
        config.write_text(
            json.dumps(
                {
                    "port": 0,  # the provider binds a free port and reports it (no race)
                    "clients": self.clients,
                    "claims": self.claims,
                    "accounts_file": str(self.accounts_file),
                    "exit_on_stdin_close": True,  # no orphan if pytest dies
                }
            )
        )
        with self.log_file.open("w") as log:
            self._proc = subprocess.Popen(
                [node, str(SCRIPT), str(config)],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        ready = threading.Event()
        threading.Thread(target=self._read_stdout, args=(ready,), daemon=True).start()
        if not ready.wait(START_TIMEOUT) or self._issuer is None:
            proc = self._proc
            self.stop()
            raise RuntimeError(
                f"the OIDC provider did not start (exit code {proc.returncode}):\n{self.output()}"
            )
        return self

    def _read_stdout(self, ready: threading.Event) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:  # drained until exit, so the pipe never fills
            self._stdout.append(line)
            if self._issuer is None and line.startswith("READY "):
                self._issuer = line.split(None, 1)[1].strip()
                ready.set()
        ready.set()

    def output(self) -> str:
        """The process's stdout and stderr so far (for error messages)."""
        stderr = self.log_file.read_text() if self.log_file.exists() else ""
        return "".join(self._stdout) + stderr

    def set_account(self, login: str, **claims: object) -> None:
        """Create or replace an account; the provider sees it at its next lookup."""
        self.accounts[login] = claims
        self._write_accounts()

    def _write_accounts(self) -> None:
        tmp = self.accounts_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.accounts))
        os.replace(tmp, self.accounts_file)  # atomic: never a half-written file

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdin is not None:
            proc.stdin.close()

    def __enter__(self) -> OidcProvider:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def login_via_provider(
    authorize_url: str,
    login: str,
    password: str = "test",
    session: requests.Session | None = None,
) -> str:
    """Follow `authorize_url` like a browser, submitting the provider's login form (and a
    consent form, if any), and return the first redirect URL outside the provider (the
    app's callback with `code` and `state`, or with `error`), without requesting it.

    Pass `session` to keep the provider's cookies (SSO session) for a later login or
    logout; a new session is used otherwise."""
    session = session or requests.Session()
    logged_in = False

    def fill(form: _Form) -> list[tuple[str, str]]:
        nonlocal logged_in
        names = {name for name, _ in form.fields}
        if "login" in names:
            if logged_in:
                raise RuntimeError("the provider showed its login form again")
            logged_in = True
            return form.data(login=login, password=password)
        return form.data()

    url = _drive(authorize_url, session, fill)
    if url is None:
        raise RuntimeError("the provider did not redirect back to the client")
    return url


def logout_via_provider(end_session_url: str, session: requests.Session) -> str | None:
    """Follow an RP-initiated logout URL with the session used to log in, confirm the
    provider's "sign out?" page, and return the redirect URL outside the provider (the
    post_logout_redirect_uri), or None when the provider ends on its own success page."""
    return _drive(end_session_url, session, lambda form: form.data())


def _drive(
    url: str, session: requests.Session, fill: Callable[[_Form], list[tuple[str, str]]]
) -> str | None:
    provider = _origin(url)
    method, data = "GET", None
    for _ in range(20):
        resp = session.request(method, url, data=data, allow_redirects=False, timeout=10)
        if resp.is_redirect:
            url = urljoin(resp.url, resp.headers["Location"])
            if _origin(url) != provider:
                return url
            method, data = "GET", None
            continue
        forms = _parse_forms(resp.text) if resp.ok else []
        form = next((f for f in forms if f.method == "post"), None)
        if form is None:
            if resp.ok:
                return None
            raise RuntimeError(f"{method} {url}: HTTP {resp.status_code}\n{resp.text[:2000]}")
        url, method, data = urljoin(resp.url, form.action), "POST", fill(form)
    raise RuntimeError(f"too many steps at the provider, last URL {url}")


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or {"http": 80, "https": 443}.get(parts.scheme)


class _Form:
    def __init__(self, action: str, method: str) -> None:
        self.action = action
        self.method = method
        self.fields: list[tuple[str, str]] = []  # named controls with their values
        self.submits: list[tuple[str, str]] = []  # named submit buttons, in order

    def data(self, **values: str) -> list[tuple[str, str]]:
        """The form data as submitted by its default (first) button, with `values` set."""
        data = [(name, values.get(name, value)) for name, value in self.fields]
        return data + self.submits[:1]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_Form] = []
        self.by_id: dict[str, _Form] = {}
        self.current: _Form | None = None
        self.deferred: list[tuple[str, str, dict[str, str]]] = []  # controls with form="id"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.current = _Form(attr.get("action", ""), attr.get("method", "get").lower())
            self.forms.append(self.current)
            if "id" in attr:
                self.by_id[attr["id"]] = self.current
        elif tag in ("input", "button"):
            if "form" in attr:
                self.deferred.append((attr["form"], tag, attr))
            elif self.current is not None:
                _add_control(self.current, tag, attr)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None


def _add_control(form: _Form, tag: str, attr: dict[str, str]) -> None:
    name = attr.get("name")
    kind = attr.get("type", "submit" if tag == "button" else "text").lower()
    if not name or kind in ("button", "reset", "file", "image"):
        return
    if kind == "submit":
        form.submits.append((name, attr.get("value", "")))
    elif kind not in ("checkbox", "radio") or "checked" in attr:
        form.fields.append((name, attr.get("value", "on" if kind == "checkbox" else "")))


def _parse_forms(html: str) -> list[_Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    for form_id, tag, attr in parser.deferred:
        if form_id in parser.by_id:
            _add_control(parser.by_id[form_id], tag, attr)
    return parser.forms
