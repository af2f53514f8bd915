"""Text search and capped counts on both engines: the trigram index (SQLite FTS5, PostgreSQL
pg_trgm where available) must find exactly what a substring test would."""

from __future__ import annotations

import pytest

from warroom.domain import incident as dom
from warroom.runtime import Runtime
from warroom.services.incidents import IncidentService
from warroom.services.principal import Principal
from warroom.store import incidents as store
from warroom.store.incidents import IncidentFilter

ADMIN = Principal("root", "admin")
TITLES = ["Checkout latency on API", "Replication lag on database",
          "50% errors_rate in search", 'The "quoted" outage', "DNS flaps", "Ünïcode café down"]


@pytest.fixture
def svc(runtime: Runtime) -> IncidentService:
    service = IncidentService(runtime)
    for title in TITLES:
        service.declare(ADMIN, dom.Declare(title, "P2"))
    return service


def titles(svc: IncidentService, text: str, who: Principal = ADMIN) -> set[str]:
    items, _ = svc.list(who, IncidentFilter(text=text), 50)
    assert svc.count(who, IncidentFilter(text=text)) == len(items)
    return {i.title for i in items}


def expected(text: str) -> set[str]:
    return {t for t in TITLES if text.lower() in t.lower()}


@pytest.mark.parametrize("text", ["replication", "REPLICATION", "lag on data", "on", "DN",
                                  "50%", "errors_rate", "s_r", '"quoted"', "café", "zzz",
                                  "ation lag", "%", "_"])
def test_search_finds_exactly_the_substring_matches(svc: IncidentService, text: str) -> None:
    assert titles(svc, text) == expected(text)


def test_search_matches_human_id_and_impact(svc: IncidentService) -> None:
    first, _ = svc.list(ADMIN, IncidentFilter(text="DNS"), 1)
    assert titles(svc, first[0].human_id.lower()) == {"DNS flaps"}
    svc.execute(ADMIN, first[0].id, dom.SetImpact("customers in eu-west cannot resolve"))
    assert titles(svc, "EU-WEST") == {"DNS flaps"}
    svc.execute(ADMIN, first[0].id, dom.SetImpact("none left"))
    assert titles(svc, "eu-west") == set()


def test_common_terms_walk_newest_first(svc: IncidentService,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "COMMON_TERM", 1)  # "on" and "o" now count as common
    assert titles(svc, "on ") == expected("on ")
    items, _ = svc.list(ADMIN, IncidentFilter(text="on "), 50)
    assert [i.declared_at for i in items] == sorted((i.declared_at for i in items),
                                                    reverse=True)


def test_restricted_incidents_stay_hidden_from_search(runtime: Runtime,
                                                      svc: IncidentService) -> None:
    svc.declare(ADMIN, dom.Declare("Replication secret", "P1", type="security",
                                   visibility="restricted"))
    viewer = Principal("vera", "viewer")
    assert titles(svc, "replication") == {"Replication lag on database", "Replication secret"}
    assert titles(svc, "replication", viewer) == {"Replication lag on database"}


def test_capped_count_stops_past_the_cap(svc: IncidentService) -> None:
    assert svc.count(ADMIN, IncidentFilter(), cap=2) == 3
    assert svc.count(ADMIN, IncidentFilter(), cap=100) == len(TITLES)
    assert svc.count_by_severity(ADMIN, IncidentFilter()) == {"P2": len(TITLES)}
