"""The saved searches' services: what a search keeps of the list's filters, the checks of a
stored query, the names (unique per user whatever the case), the cap, and that a search is
its user's alone."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from autoproces.platform.errors import Conflict, Invalid, NotFound
from autoproces.tenants.searches import services
from autoproces.tenants.searches.models import MAX_PER_USER


def test_a_search_keeps_the_checked_filters_as_the_url_carries_them(as_user, world):
    with as_user(world.employee) as me:
        search = services.create_search(
            me,
            "  Fakturaer i drift  ",
            {
                "q": " faktura ",
                "phase": "operation",
                "mine": "false",
                "following": False,
                "kle": "02,34",
                "sort": "relevance",
                "vendor": "",
            },
        )
        assert search.name == "Fakturaer i drift"
        # Blank, "no" and the default order say nothing; "02,34" is read as the list reads it.
        assert search.query == {"q": "faktura", "kle": "02.34", "phase": "operation"}
        assert search.notify is False
        assert search.notified_until is not None


def test_the_description_reads_the_filters_in_danish(as_user, world):
    with as_user(world.employee):
        domain = services.domain_names()
        domain_id, domain_name = next(iter(domain.items()))
        text = services.describe(
            {
                "phase": "operation",
                "q": "faktura",
                "domain": domain_id,
                "mine": "true",
                "sort": "title",
                "created_before": "2026-01-31",
                "attention": "legal_basis",
            }
        )
        assert text == (
            f"Fase: I drift · Søgning: faktura · Fagområde: {domain_name} · Kun mine"
            " · Sortering: Titel · Indberettet før: 31. jan. 2026"
            " · Kræver opmærksomhed: Lovgrundlag skal kontrolleres"
        )
        assert services.describe({}) == "Alle processer"
        assert services.describe({"domain": str(uuid.uuid4())}) == "Fagområde: (fjernet fagområde)"


def test_names_are_unique_per_user_whatever_the_case(as_user, world):
    with as_user(world.employee) as me:
        services.create_search(me, "Ældre og sundhed", {})
        for taken in ("ældre og sundhed", "ÆLDRE OG SUNDHED", " Ældre og sundhed "):
            with pytest.raises(Conflict) as caught:
                services.create_search(me, taken, {})
            assert "allerede en gemt søgning med det navn" in caught.value.errors["name"][0]
    # Another user may use the same name.
    with as_user(world.other) as other:
        assert services.create_search(other, "Ældre og sundhed", {}).name == "Ældre og sundhed"


def test_the_database_refuses_a_duplicate_name_too(su_engine, world, as_user):
    """The unique index folds Danish capitals even when the server's locale does not."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    with as_user(world.employee) as me:
        services.create_search(me, "Øl og Åer", {})
    with pytest.raises(IntegrityError):
        with su_engine.begin() as conn:
            conn.execute(
                text(
                    "insert into saved_search (tenant_id, id, user_id, name)"
                    " values (:t, gen_random_uuid(), :u, 'øL OG åER')"
                ),
                {"t": world.alpha.id, "u": world.employee.id},
            )


def test_renaming_to_an_own_other_name_is_refused_but_a_new_case_is_fine(as_user, world):
    with as_user(world.employee) as me:
        first = services.create_search(me, "Første", {})
        services.create_search(me, "Anden", {})
        with pytest.raises(Conflict):
            services.update_search(me, first, name="ANDEN")
        assert services.update_search(me, first, name="FØRSTE").name == "FØRSTE"


def test_the_cap_per_user_is_a_clear_error(as_user, world):
    with as_user(world.employee) as me:
        for n in range(MAX_PER_USER):
            services.create_search(me, f"Søgning {n}", {"q": f"ord{n}"})
        with pytest.raises(Conflict) as caught:
            services.create_search(me, "Én for meget", {})
        assert f"højst gemme {MAX_PER_USER} søgninger" in caught.value.message
    with as_user(world.other) as other:  # the cap is per user
        services.create_search(other, "Min første", {})


@pytest.mark.parametrize(
    ("query", "key", "message"),
    [
        ({"attention_please": "1"}, "attention_please", "Ukendt filter"),
        ({"page": "2"}, "page", "Ukendt filter"),
        ({"phase": "done"}, "phase", "Ugyldig værdi"),
        ({"status": 3}, "status", "Skal være tekst"),
        # The register's own message (marshmallow 4 names its error "invalid_uuid").
        ({"domain": "not-a-uuid"}, "domain", ""),
        ({"kle": "abc"}, "kle", "KLE-nummer"),
        ({"q": "x" * 201}, "q", "Højst 200 tegn"),
        ({"mine": "måske"}, "mine", "sand eller falsk"),
        ({"created_before": "i går"}, "created_before", "dato"),
        ({"q": "nul\x00"}, "q", "ugyldigt tegn"),
        ({"q": "surrogat\ud800"}, "q", "ugyldigt tegn"),
        ({"sort": "random"}, "sort", "Ugyldig værdi"),
        ({"x" * 10_000: "1"}, "x" * services.KEY_SHOWN, "Ukendt filter"),
    ],
)
def test_a_bad_query_is_refused_naming_the_filter(as_user, world, query, key, message):
    with as_user(world.employee) as me:
        with pytest.raises(Invalid) as caught:
            services.create_search(me, "Dårlig", query)
        errors = caught.value.errors["query"]
        assert list(errors) == [key]
        assert message in " ".join(errors[key])


def test_a_query_that_is_not_an_object_is_refused(as_user, world):
    with as_user(world.employee) as me:
        with pytest.raises(Invalid) as caught:
            services.create_search(me, "Liste", ["phase"])
        assert caught.value.errors == {
            "query": {"_schema": ["Skal være et objekt med listens filtre."]}
        }


def test_control_characters_are_cleaned_from_names_and_filters(as_user, world):
    with as_user(world.employee) as me:
        search = services.create_search(me, "Fak\x07tura\x1b", {"q": "fak\x0btura"})
        assert search.name == "Faktura"
        assert search.query == {"q": "fak\ntura"}


def test_matches_are_counted_as_the_user_may_see_them(as_user, make, world):
    make.process(world.team, title="Privat faktura", visibility="personal")
    with as_user(world.employee) as me:
        search = services.create_search(me, "Fakturaer", {"q": "faktura"})
        assert services.count_matches(me, search) == 2  # not the team's private one
    with as_user(world.team) as team:
        search = services.create_search(team, "Fakturaer", {"q": "faktura"})
        assert services.count_matches(team, search) == 3
        page = services.run_search(team, search, per_page=2)
        assert (page.total, len(page.items)) == (3, 2)


def test_a_stored_query_the_register_no_longer_accepts_is_named_when_run(as_user, world, su_engine):
    from sqlalchemy import text

    with as_user(world.employee) as me:
        search_id = services.create_search(me, "Gammel", {"phase": "operation"}).id
    with su_engine.begin() as conn:
        conn.execute(text('update saved_search set query = \'{"phase": "gone", "old": "1"}\''))
    with as_user(world.employee) as me:
        search = services.get_search(me, search_id)
        with pytest.raises(Invalid) as caught:
            services.count_matches(me, search)
        assert set(caught.value.errors["query"]) == {"phase", "old"}
        assert "kan ikke længere bruges" in caught.value.message
        [row] = services.overview(me)
        assert row.matches is None


def test_a_search_is_its_users_alone(as_user, world):
    with as_user(world.employee) as me:
        search = services.create_search(me, "Min", {"q": "faktura"})
        search_id = search.id
    with as_user(world.other) as other:
        assert services.list_searches(other) == []
        with pytest.raises(NotFound):
            services.get_search(other, search_id)
        search = SimpleNamespace(id=search_id)
        with pytest.raises(NotFound):
            services.update_search(other, search, name="Stjålet")
        with pytest.raises(NotFound):
            services.delete_search(other, search)
    with as_user(world.employee) as me:
        assert [s.name for s in services.list_searches(me)] == ["Min"]


def test_turning_the_email_on_moves_the_watermark_to_now(as_user, world, su_engine):
    from sqlalchemy import text

    with as_user(world.employee) as me:
        search_id = services.create_search(me, "Min", {}).id
    with su_engine.begin() as conn:
        conn.execute(text("update saved_search set notified_until = now() - interval '30 days'"))
    with as_user(world.employee) as me:
        search = services.update_search(me, services.get_search(me, search_id), notify=True)
        assert search.notify is True
    with su_engine.connect() as conn:
        assert conn.scalar(
            text("select notified_until > now() - interval '1 hour' from saved_search")
        )


def test_deleting_the_user_deletes_their_searches(as_user, world, su_engine):
    from sqlalchemy import text

    with as_user(world.employee) as me:
        services.create_search(me, "Min", {})
    with su_engine.begin() as conn:
        conn.execute(text("delete from app_user where id = :u"), {"u": world.employee.id})
        assert conn.scalar(text("select count(*) from saved_search")) == 0
