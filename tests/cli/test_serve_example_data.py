"""`warroom serve --example-data` (what `make run` uses) fills an empty database once."""

from __future__ import annotations

from warroom.cli.serve import _seed_examples
from warroom.evidence.example_data import EXAMPLE_INCIDENTS
from warroom.runtime import Runtime
from warroom.services.incidents import IncidentService
from warroom.services.principal import SYSTEM
from warroom.store.incidents import IncidentFilter


def test_example_incidents_are_added_only_to_an_empty_database(runtime: Runtime) -> None:
    added = _seed_examples(runtime)
    assert len(added) == len(EXAMPLE_INCIDENTS)
    incidents = IncidentService(runtime)
    assert incidents.count(SYSTEM, IncidentFilter()) == len(EXAMPLE_INCIDENTS)
    assert incidents.count(SYSTEM, IncidentFilter(open_only=True)) >= 1  # live on the dashboard
    assert _seed_examples(runtime) == []  # a restart adds nothing
    assert incidents.count(SYSTEM, IncidentFilter()) == len(EXAMPLE_INCIDENTS)
