"""The incident state machine, pure: commands become events, events fold into state."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warroom.clock import FakeClock
from warroom.domain import incident as dom
from warroom.domain.errors import InvalidCommand, InvalidTransition, UnknownValue
from warroom.domain.events import GENESIS_HASH, seal
from warroom.domain.severity import DEFAULT_SCHEME

VOCAB = dom.Vocabulary(scheme=DEFAULT_SCHEME)


def run(commands: list[dom.Command], clock: FakeClock) -> dom.IncidentState:
    state: dom.IncidentState | None = None
    prev, seq = GENESIS_HASH, 0
    for i, cmd in enumerate(commands):
        for draft in dom.decide(state, cmd, VOCAB, clock.now()):
            if i == 0:
                draft.data["human_id"] = "INC-2026-0001"
            seq += 1
            event = seal("inc1", seq, clock.now(), "alice", draft.kind, draft.data, prev)
            prev = event.hash
            state = dom.apply(state, event)
        clock.advance(60)
    assert state is not None
    return state


def test_declare_then_ack_sets_acknowledged_milestone() -> None:
    clock = FakeClock()
    state = run([dom.Declare("db down", "P1"), dom.Acknowledge()], clock)
    assert state.status == "acknowledged"
    assert state.acknowledged_at == state.declared_at + timedelta(seconds=60)
    assert state.responders == ("alice",)


def test_acknowledging_twice_is_a_409_naming_current_and_allowed() -> None:
    clock = FakeClock()
    state = run([dom.Declare("db down", "P1"), dom.Acknowledge()], clock)
    with pytest.raises(InvalidTransition) as err:
        dom.decide(state, dom.Acknowledge(), VOCAB, clock.now())
    assert err.value.current == "acknowledged"
    assert "investigating" in err.value.allowed
    assert "acknowledged" in str(err.value)


def test_unknown_severity_lists_the_allowed_ones() -> None:
    with pytest.raises(UnknownValue) as err:
        dom.decide(None, dom.Declare("x", "P5"), VOCAB, FakeClock().now())
    assert err.value.allowed == ["P0", "P1", "P2", "P3"]
    assert "P0, P1, P2, P3" in str(err.value)


@pytest.mark.parametrize("command", [dom.SetImpact("half\x00down"), dom.AddNote("\x00"),
                                     dom.Resolve("fixed\x00")])
def test_nul_characters_are_refused_by_name(command: dom.Command) -> None:
    clock = FakeClock()
    state = run([dom.Declare("db down", "P1")], clock)
    with pytest.raises(InvalidCommand, match="contains a NUL character"):
        dom.decide(state, command, VOCAB, clock.now())
    with pytest.raises(InvalidCommand, match="title contains a NUL"):
        dom.decide(None, dom.Declare("db\x00", "P1"), VOCAB, clock.now())


def test_security_incidents_are_restricted_by_default() -> None:
    state = run([dom.Declare("leaked key", "P0", type="security")], FakeClock())
    assert state.visibility == "restricted"
    normal = run([dom.Declare("leaked key", "P0", type="security", visibility="normal")],
                 FakeClock())
    assert normal.visibility == "normal"


def test_retyping_to_security_restricts() -> None:
    state = run([dom.Declare("odd logins", "P2"), dom.SetType("security")], FakeClock())
    assert (state.type, state.visibility) == ("security", "restricted")


def test_mitigated_and_resolved_milestones_and_reopen_clears_resolution() -> None:
    clock = FakeClock()
    state = run([dom.Declare("x", "P2"), dom.SetStatus("mitigating"),
                 dom.SetStatus("monitoring"), dom.Resolve("fixed")], clock)
    assert state.mitigated_at is not None and state.resolved_at is not None
    assert state.mitigated_at < state.resolved_at
    state2 = run([dom.Declare("x", "P2"), dom.Resolve(), dom.Reopen("came back")], FakeClock())
    assert state2.status == "investigating" and state2.resolved_at is None


def test_close_only_after_resolve() -> None:
    clock = FakeClock()
    state = run([dom.Declare("x", "P2")], clock)
    with pytest.raises(InvalidTransition):
        dom.decide(state, dom.Close(), VOCAB, clock.now())


def test_blank_note_is_refused() -> None:
    clock = FakeClock()
    state = run([dom.Declare("x", "P2")], clock)
    with pytest.raises(InvalidCommand):
        dom.decide(state, dom.AddNote("   "), VOCAB, clock.now())


def test_statuses_map_onto_statuspage_set() -> None:
    assert set(dom.STATUSPAGE_STATUS) == set(dom.STATUSES)
    assert set(dom.STATUSPAGE_STATUS.values()) <= {"investigating", "identified", "monitoring",
                                                   "resolved"}


def test_a_system_move_to_monitoring_sets_no_human_milestone() -> None:
    clock = FakeClock()
    state = run([dom.Declare("db down", "P1"),
                 dom.SetStatus("monitoring", "all alerts resolved", system=True)], clock)
    assert state.status == "monitoring"
    assert (state.acknowledged_at, state.mitigated_at) == (None, None)
    human = run([dom.Declare("db down", "P1"), dom.SetStatus("monitoring")], FakeClock())
    assert human.acknowledged_at is not None and human.mitigated_at is not None


def test_a_system_resolve_sets_resolved_but_no_human_milestone() -> None:
    state = run([dom.Declare("db down", "P3"), dom.Resolve("all alerts resolved", system=True)],
                FakeClock())
    assert state.status == "resolved" and state.resolved_at is not None
    assert (state.acknowledged_at, state.mitigated_at) == (None, None)


def test_reactivate_moves_monitoring_back_to_triggered_keeping_an_earlier_ack() -> None:
    clock = FakeClock()
    state = run([dom.Declare("db down", "P1"), dom.Acknowledge(),
                 dom.SetStatus("monitoring", system=True), dom.Reactivate("fired again")], clock)
    assert state.status == "triggered"
    assert state.acknowledged_at == state.declared_at + timedelta(seconds=60)
    again = dom.decide(state, dom.Acknowledge(), VOCAB, clock.now())
    assert [d.kind for d in again] == ["acknowledged"]
    with pytest.raises(InvalidTransition):
        dom.decide(state, dom.Reactivate(), VOCAB, clock.now())
