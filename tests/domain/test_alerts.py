"""Matchers and fingerprints behave like Alertmanager's."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.domain.alerts import (
    Matcher,
    MatcherError,
    alertmanager_fingerprint,
    fingerprint,
    matches_all,
    parse_matcher,
    parse_matchers,
)

label_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
label_values = st.text(max_size=20)
label_sets = st.dictionaries(label_names, label_values, max_size=8)


def test_alertmanager_fingerprint_matches_prometheus_reference_values() -> None:
    # Values from prometheus/common model/signature_test.go (labelSetToFingerprint).
    assert alertmanager_fingerprint({}) == f"{14695981039346656037:016x}"
    assert alertmanager_fingerprint(
        {"name": "garland, briggs", "fear": "love is not enough"}
    ) == f"{5799056148416392346:016x}"
    assert alertmanager_fingerprint(
        {"first-label": "first-label-value"}) == f"{5146282821936882169:016x}"
    assert alertmanager_fingerprint(
        {"first-label": "first-label-value", "second-label": "second-label-value"}
    ) == f"{3195800080984914717:016x}"


def test_alertmanager_fingerprint_is_sixteen_hex_digits() -> None:
    value = alertmanager_fingerprint({"alertname": "ServiceDown", "job": "shieldx-api"})
    assert len(value) == 16
    int(value, 16)


@given(label_sets)
def test_fingerprints_do_not_depend_on_label_order(labels: dict[str, str]) -> None:
    reversed_labels = dict(reversed(list(labels.items())))
    assert fingerprint(labels) == fingerprint(reversed_labels)
    assert alertmanager_fingerprint(labels) == alertmanager_fingerprint(reversed_labels)


@given(label_sets, label_sets)
def test_different_label_sets_get_different_fingerprints(a: dict[str, str],
                                                         b: dict[str, str]) -> None:
    if a != b:
        assert fingerprint(a) != fingerprint(b)


def test_separator_keeps_name_value_boundaries_apart() -> None:
    assert fingerprint({"ab": "c"}) != fingerprint({"a": "bc"})
    assert alertmanager_fingerprint({"ab": "c"}) != alertmanager_fingerprint({"a": "bc"})


matchers = st.builds(
    Matcher,
    name=label_names,
    op=st.sampled_from(["=", "!="]),
    value=st.text(max_size=20),
)


@given(matchers)
def test_matcher_text_round_trips(matcher: Matcher) -> None:
    assert parse_matcher(str(matcher)) == matcher


@given(label_names, st.from_regex(r"[a-z|.*]{0,10}", fullmatch=True))
def test_regex_matcher_text_round_trips(name: str, pattern: str) -> None:
    try:
        matcher = Matcher(name, "=~", pattern)
    except MatcherError:
        return
    assert parse_matcher(str(matcher)) == matcher


@pytest.mark.parametrize(("text", "expected"), [
    ('severity="critical"', Matcher("severity", "=", "critical")),
    ("severity=critical", Matcher("severity", "=", "critical")),
    ('  team != "db" ', Matcher("team", "!=", "db")),
    ('job=~"shieldx-.*"', Matcher("job", "=~", "shieldx-.*")),
    ("env!~staging|dev", Matcher("env", "!~", "staging|dev")),
    ('msg="say \\"hi\\", then go"', Matcher("msg", "=", 'say "hi", then go')),
    ('"odd.name"="x"', Matcher("odd.name", "=", "x")),
    ("empty=", Matcher("empty", "=", "")),
])
def test_parse_matcher_reads_alertmanager_syntax(text: str, expected: Matcher) -> None:
    assert parse_matcher(text) == expected


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "empty matcher"),
    ("severity", "expected one of =, !=, =~, !~"),
    ("9lives=x", "label name must start"),
    ('a="unterminated', "missing closing quote"),
    ('a="x" trailing', "unexpected text after the closing quote"),
    ('a=~"(unclosed"', "invalid regular expression"),
])
def test_parse_matcher_explains_bad_input(text: str, fragment: str) -> None:
    with pytest.raises(MatcherError, match=fragment.replace("(", r"\(")):
        parse_matcher(text)


def test_regex_matchers_are_fully_anchored() -> None:
    matcher = parse_matcher('job=~"api"')
    assert matcher.matches({"job": "api"})
    assert not matcher.matches({"job": "api-server"})
    assert not matcher.matches({"job": "my-api"})
    assert parse_matcher('job!~"api"').matches({"job": "api-server"})


def test_missing_label_reads_as_empty_string() -> None:
    assert parse_matcher('team=""').matches({})
    assert parse_matcher("team!=db").matches({})
    assert not parse_matcher("team=db").matches({})
    assert parse_matcher('team=~"db|"').matches({})


def test_matches_all_needs_every_matcher_and_empty_matches_everything() -> None:
    found = parse_matchers('{alertname="ServiceDown", job=~"shieldx-.*"}')
    assert matches_all(found, {"alertname": "ServiceDown", "job": "shieldx-web"})
    assert not matches_all(found, {"alertname": "ServiceDown", "job": "other"})
    assert matches_all([], {"anything": "x"})


def test_parse_matchers_keeps_commas_inside_quotes() -> None:
    found = parse_matchers('a="x,y", b=~"1|2"')
    assert found == [Matcher("a", "=", "x,y"), Matcher("b", "=~", "1|2")]
