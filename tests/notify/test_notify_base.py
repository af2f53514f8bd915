"""The Message and DeliveryResult types the engine stores and passes around."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.notify.base import AUDIENCES, MESSAGE_KINDS, Link, Message
from warroom.testing.messages import sample_message

texts = st.text(max_size=50)


@given(key=st.text(min_size=1, max_size=40), kind=st.sampled_from(MESSAGE_KINDS),
       audience=st.sampled_from(AUDIENCES), body=texts, drill=st.booleans(),
       links=st.lists(st.tuples(texts, texts), max_size=3),
       extra=st.dictionaries(st.text(max_size=10), st.integers() | st.text(max_size=10)))
def test_message_survives_a_json_round_trip(key: str, kind: str, audience: str, body: str,
                                           drill: bool, links: list[tuple[str, str]],
                                           extra: dict[str, object]) -> None:
    message = sample_message(idempotency_key=key, kind=kind, audience=audience, body=body,
                             drill=drill, links=tuple(Link(*pair) for pair in links),
                             extra=extra)
    assert Message.from_dict(json.loads(json.dumps(message.to_dict()))) == message


def test_unknown_kind_or_audience_or_empty_key_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown message kind 'shout'"):
        sample_message(kind="shout")
    with pytest.raises(ValueError, match="unknown audience 'everyone'"):
        sample_message(audience="everyone")
    with pytest.raises(ValueError, match="idempotency_key"):
        sample_message(idempotency_key="")
