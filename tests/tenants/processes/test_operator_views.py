"""The register in the operator console: its usage figure on the tenant list and its page of
processes per phase, counts only, behind the operator's sign-in."""

from __future__ import annotations

import re

from helpers import login, operator_login
from sqlalchemy import text


def _world(make):
    alpha = make.tenant("alpha", "Alfa Kommune")
    beta = make.tenant("beta", "Beta Kommune")
    make.tenant("gamma", "Gamma Kommune")
    ada = make.user(alpha, "automation", name="Ada Automatik")
    bo = make.user(beta, "automation")
    make.process(ada, title="Hemmelig proces A1")
    make.process(ada, title="Hemmelig proces A2")
    make.process(ada, title="Hemmelig proces A3", phase="preanalysis")
    make.process(bo, title="Hemmelig proces B1", phase="operation")
    return alpha, beta, ada


def _row(html: str, name: str) -> str:
    return re.search(rf"{name}</a></th>.*?</tr>", html, re.S).group(0)


def test_the_counts_are_right_for_each_tenant(client, make):
    _world(make)
    operator_login(client, make.operator())
    html = client.get("/operator/").get_data(as_text=True)
    assert 'data-usage="processes">3<' in _row(html, "Alfa Kommune")
    assert 'data-usage="processes">1<' in _row(html, "Beta Kommune")
    assert 'data-usage="processes">0<' in _row(html, "Gamma Kommune")

    r = client.get("/operator/processer/")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    html = r.get_data(as_text=True)
    alpha = _row(html, "Alfa Kommune")
    assert 'data-phase="idea">2<' in alpha and 'data-phase="preanalysis">1<' in alpha
    assert 'data-phase="operation">0<' in alpha and 'data-phase="total">3<' in alpha
    beta = _row(html, "Beta Kommune")
    assert 'data-phase="operation">1<' in beta and 'data-phase="total">1<' in beta
    assert 'data-phase="total">0<' in _row(html, "Gamma Kommune")
    assert '<th scope="col" class="align-text-right">Foranalyse</th>' in html
    assert "Hemmelig" not in html and "Ada Automatik" not in html


def test_the_page_is_for_operators_only_and_in_the_consoles_menu(client, make):
    alpha, _beta, ada = _world(make)
    r = client.get("/operator/processer/")
    assert r.status_code == 302
    assert r.headers["Location"] == "/operator/login?next=/operator/processer/"
    login(client, ada)  # a municipality's user is no operator
    assert client.get("/operator/processer/").status_code == 302

    operator_login(client, make.operator())
    html = client.get("/operator/").get_data(as_text=True)
    menu = re.search(r'<nav[^>]*aria-label="Operatørmenu".*?</nav>', html, re.S).group(0)
    assert '<a href="/operator/processer/">Processer pr. fase</a>' in menu
    html = client.get("/operator/processer/").get_data(as_text=True)
    menu = re.search(r'<nav[^>]*aria-label="Operatørmenu".*?</nav>', html, re.S).group(0)
    assert '<a href="/operator/processer/" aria-current="page">Processer pr. fase</a>' in menu
    assert '<a href="/operator/">Kommuner</a>' in menu


def test_the_functions_give_counts_and_the_app_role_still_sees_no_process(app_engine, make):
    alpha, beta, _ada = _world(make)
    with app_engine.connect() as conn:
        # The app role with no tenant (the operator's console): RLS shows no process.
        assert conn.scalar(text("select count(*) from process")) == 0
        counts = dict(conn.execute(text("select * from operator_process_counts()")).all())
        assert counts == {alpha.id: 3, beta.id: 1}
        result = conn.execute(text("select * from operator_process_phase_counts()"))
        assert list(result.keys()) == ["tenant_id", "phase", "count"]
        assert sorted((r.tenant_id == alpha.id, r.phase, r.count) for r in result) == [
            (False, "operation", 1),
            (True, "idea", 2),
            (True, "preanalysis", 1),
        ]
        granted = conn.execute(
            text(
                "select p.proname, p.prosecdef,"
                " has_function_privilege('public', p.oid, 'execute') as public"
                " from pg_proc p where p.proname like 'operator_process_%'"
            )
        ).all()
    assert sorted(granted) == [
        ("operator_process_counts", True, False),
        ("operator_process_phase_counts", True, False),
    ]
