"""Suggesting runbooks for an incident."""

from __future__ import annotations

from warroom.runbooks.matching import IncidentFacts, rank_runbooks
from warroom.runbooks.model import Runbook


def rb(rid: str, **applies: list[str]) -> Runbook:
    return Runbook.model_validate({"id": rid, "title": rid, "applies_to": applies})


RUNBOOKS = [
    rb("FrontendDown"),
    rb("web-generic", services=["frontend"]),
    rb("crit-web", alerts=["service=frontend", "severity=~crit.*"]),
    rb("db", services=["postgres"], incident_types=["data"]),
    rb("p0-anything", severities=["P0"]),
]


def test_alertname_equal_to_runbook_id_ranks_first() -> None:
    facts = IncidentFacts(services=["frontend"], severity="P0", alerts=[
        {"alertname": "FrontendDown", "service": "frontend", "severity": "critical"}])
    ranked = rank_runbooks(RUNBOOKS, facts)
    assert [s.runbook_id for s in ranked] == ["FrontendDown", "crit-web", "web-generic",
                                              "p0-anything"]
    assert "alertname equals runbook id 'FrontendDown'" in ranked[0].reasons
    assert any("all alert matchers hold" in r for r in ranked[1].reasons)


def test_partial_matchers_score_less_than_all() -> None:
    facts = IncidentFacts(alerts=[{"service": "frontend", "severity": "warning"}])
    [only] = rank_runbooks(RUNBOOKS, facts)
    assert only.runbook_id == "crit-web" and "some alert matchers hold" in only.reasons[0]


def test_type_and_service_count_and_nothing_matching_gives_nothing() -> None:
    assert [s.runbook_id for s in rank_runbooks(
        RUNBOOKS, IncidentFacts(services=["postgres"], incident_type="data"))] == ["db"]
    assert rank_runbooks(RUNBOOKS, IncidentFacts(services=["unknown"])) == []
