"""Incident storage on both engines: projection == fold(events), ids, chains, tampering."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warroom.clock import FakeClock
from warroom.domain import incident as dom
from warroom.domain.errors import DomainError
from warroom.runtime import Runtime
from warroom.services.incidents import IncidentService
from warroom.services.principal import Principal
from warroom.store import db
from warroom.store import incidents as store
from warroom.store.schema import incident_events, incidents
from warroom.testing.runtime import make_users

ALICE = Principal("alice", "commander")
USERS = ["alice", "bob", "carol"]


def commands(vocab: dom.Vocabulary) -> st.SearchStrategy[dom.Command]:
    return st.one_of(
        st.just(dom.Acknowledge()),
        st.sampled_from(dom.STATUSES).map(lambda s: dom.SetStatus(s)),
        st.sampled_from(vocab.scheme.keys()).map(lambda s: dom.SetSeverity(s)),
        st.sampled_from(vocab.types).map(lambda t: dom.SetType(t)),
        st.tuples(st.sampled_from(vocab.roles), st.sampled_from(USERS)).map(
            lambda p: dom.AssignRole(*p)),
        st.sampled_from(vocab.roles).map(lambda r: dom.UnassignRole(r)),
        st.sampled_from(USERS).map(lambda u: dom.AddResponder(u)),
        st.text(min_size=1, max_size=30).map(lambda t: dom.AddNote(t)),
        st.tuples(st.text(min_size=1, max_size=20), st.none() | st.integers(0, 10**6)).map(
            lambda p: dom.SetImpact(*p)),
        st.text(max_size=20).map(lambda t: dom.Resolve(t)),
        st.just(dom.Reopen("again")),
        st.just(dom.Close()),
    )


def test_fold_reproduces_projection_for_random_command_sequences(
        runtime: Runtime, clock: FakeClock) -> None:
    svc = IncidentService(runtime)
    vocab = runtime.vocab
    make_users(runtime, {u: "responder" for u in USERS})  # roles must name real users

    @settings(max_examples=25, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(st.lists(commands(vocab), min_size=1, max_size=25),
           st.sampled_from(vocab.scheme.keys()), st.booleans())
    def check(cmds: list[dom.Command], severity: str, drill: bool) -> None:
        result = svc.declare(ALICE, dom.Declare("random", severity, drill=drill,
                                                services=("api",)))
        ref = result.incident.id
        for cmd in cmds:
            clock.advance(7)
            before = svc.get(ALICE, ref)
            try:
                svc.execute(ALICE, ref, cmd)
            except DomainError:
                # Invalid in this state: nothing may be left behind.
                assert svc.get(ALICE, ref) == before
        with db.read(runtime.engine) as conn:
            events = store.load_events(conn, ref)
            row_state = store.lock_state(conn, ref)
        assert row_state is not None
        assert len(events) == row_state.last_seq
        assert dom.fold(events) == row_state

    check()


def test_human_ids_are_unique_under_concurrent_declares(runtime: Runtime) -> None:
    svc = IncidentService(runtime)
    ids: list[str] = []
    errors: list[BaseException] = []

    def declare_some() -> None:
        try:
            for _ in range(10):
                ids.append(svc.declare(ALICE, dom.Declare("race", "P2")).incident.human_id)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=declare_some) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(ids) == 60 and len(set(ids)) == 60
    assert sorted(ids) == [f"INC-2026-{n:04d}" for n in range(1, 61)]


def test_human_id_sequence_restarts_each_year(runtime: Runtime, clock: FakeClock) -> None:
    svc = IncidentService(runtime)
    first = svc.declare(ALICE, dom.Declare("a", "P2")).incident.human_id
    clock.set(clock.now().replace(year=2027))
    second = svc.declare(ALICE, dom.Declare("b", "P2")).incident.human_id
    assert (first, second) == ("INC-2026-0001", "INC-2027-0001")


def _tamper(runtime: Runtime, ref: str, seq: int, **values: object) -> None:
    with runtime.engine.begin() as conn:
        conn.execute(sa.update(incident_events).where(
            incident_events.c.incident_id == ref, incident_events.c.seq == seq).values(**values))


@pytest.mark.parametrize("field,value", [("actor", "mallory"), ("kind", "severity_changed"),
                                         ("data", {"text": "forged"})])
def test_editing_one_event_row_breaks_verify_at_that_event(
        runtime: Runtime, field: str, value: object) -> None:
    svc = IncidentService(runtime)
    ref = svc.declare(ALICE, dom.Declare("x", "P1")).incident.id
    svc.execute(ALICE, ref, dom.Acknowledge())
    svc.execute(ALICE, ref, dom.AddNote("original"))
    svc.execute(ALICE, ref, dom.Resolve())
    assert svc.verify(ALICE, ref)[1] is None
    _tamper(runtime, ref, 3, **{field: value})
    _, broken, _ = svc.verify(ALICE, ref)
    assert broken is not None and broken.seq == 3


def test_deleting_an_event_breaks_verify(runtime: Runtime) -> None:
    svc = IncidentService(runtime)
    ref = svc.declare(ALICE, dom.Declare("x", "P1")).incident.id
    svc.execute(ALICE, ref, dom.AddNote("one"))
    svc.execute(ALICE, ref, dom.AddNote("two"))
    with runtime.engine.begin() as conn:
        conn.execute(sa.delete(incident_events).where(incident_events.c.seq == 2))
    _, broken, _ = svc.verify(ALICE, ref)
    assert broken is not None and broken.seq == 3 and "expected 2" in broken.reason


def test_editing_the_projection_is_detected(runtime: Runtime) -> None:
    svc = IncidentService(runtime)
    ref = svc.declare(ALICE, dom.Declare("x", "P1")).incident.id
    with runtime.engine.begin() as conn:
        conn.execute(sa.update(incidents).values(severity="P3"))
    _, broken, _ = svc.verify(ALICE, ref)
    assert broken is not None and "projection" in broken.reason


def test_p1_to_p4_scheme_works_through_config_alone(
        db_url: str, tmp_path: Path, clock: FakeClock) -> None:
    from warroom.testing.runtime import make_runtime

    cfg = tmp_path / "org.yaml"
    cfg.write_text("""
severities:
  - {key: P1, name: Critical, ack_sla: 5m, update_cadence: 15m}
  - {key: P2, name: High, ack_sla: 15m, update_cadence: 30m}
  - {key: P3, name: Medium, ack_sla: 1h, update_cadence: 1h}
  - {key: P4, name: Low, ack_sla: 24h, page: false}
""")
    rt = make_runtime(db_url, tmp_path, clock, cfg)
    try:
        svc = IncidentService(rt)
        ref = svc.declare(ALICE, dom.Declare("x", "P4")).incident.id
        state = svc.execute(ALICE, ref, dom.SetSeverity("P1")).incident
        assert state.severity == "P1"
        with pytest.raises(DomainError) as err:
            svc.execute(ALICE, ref, dom.SetSeverity("P0"))
        assert "P1, P2, P3, P4" in str(err.value)
        level = rt.vocab.scheme.get("P1")
        assert level is not None and level.ack_sla.total_seconds() == 300
    finally:
        rt.engine.dispose()
