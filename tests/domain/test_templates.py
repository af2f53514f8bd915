"""Communication templates: runbook-shaped defaults, overrides, drills and the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from warroom.domain.templates import (
    CONTEXT_KEYS,
    DEFAULT_TEMPLATES,
    LINK_TEMPLATES,
    MESSAGE_TEMPLATES,
    TemplateError,
    TemplateSet,
    message_template_name,
    sample_context,
)
from warroom.yamlfile import loads


def context(**changes: Any) -> dict[str, Any]:
    return {**sample_context(), **changes}


def test_initial_internal_follows_the_runbook_layout() -> None:
    rendered = TemplateSet.default().render("initial.internal", context())
    assert rendered.subject == "INCIDENT DECLARED — [P0] Checkout API returning 502s"
    lines = rendered.body.splitlines()
    assert lines[0] == rendered.subject
    for expected in ("Severity: P0 (Critical)", "Status: Investigating",
                     "Impact: Customers cannot complete checkout",
                     "Started: 2026-01-05 09:00 UTC", "Incident Commander: @alice",
                     "Bridge: https://meet.example.com/inc-2026-0042",
                     "Status Page: https://status.example.com"):
        assert expected in lines
    assert lines[-1] == "Next update in 15 minutes."
    order = [next(i for i, line in enumerate(lines) if line.startswith(label))
             for label in ("Severity", "Status", "Impact", "Started", "Incident Commander",
                           "Bridge", "Status Page", "Next update")]
    assert order == sorted(order)


def test_every_message_template_has_internal_and_customer_versions() -> None:
    for phase in ("initial", "progress", "resolution"):
        assert f"{phase}.internal" in MESSAGE_TEMPLATES
        assert f"{phase}.customer" in MESSAGE_TEMPLATES
    assert set(MESSAGE_TEMPLATES) | set(LINK_TEMPLATES) == set(DEFAULT_TEMPLATES)


@pytest.mark.parametrize("name", MESSAGE_TEMPLATES)
def test_defaults_render_with_sparse_context(name: str) -> None:
    sparse = {"human_id": "INC-1", "title": "Down", "severity": "P2", "status": "triggered",
              "started_at": datetime(2026, 3, 1, 12, 30, tzinfo=UTC)}
    rendered = TemplateSet.default().render(name, sparse)
    assert rendered.subject and rendered.body
    assert "None" not in rendered.body


def test_customer_versions_leave_out_internal_details() -> None:
    templates = TemplateSet.default()
    for phase in ("initial", "progress", "resolution"):
        body = templates.render(f"{phase}.customer", context()).body
        assert "@alice" not in body and "meet.example.com" not in body
        assert "INC-2026-0042" not in body


def test_customer_template_takes_subject_from_its_subject_line() -> None:
    rendered = TemplateSet.default().render("initial.customer", context())
    assert rendered.subject == "checkout-api - Service Issue"
    assert rendered.body.startswith("We are currently experiencing issues with checkout-api.")
    assert "will provide updates every 15 minutes" in rendered.body


def test_no_cadence_says_next_update_when_status_changes() -> None:
    rendered = TemplateSet.default().render("progress.internal",
                                            context(next_update_minutes=None))
    assert rendered.body.endswith("Next update when the status changes.")


def test_drill_prefixes_subject_and_first_line() -> None:
    templates = TemplateSet.default()
    internal = templates.render("initial.internal", context(drill=True))
    assert internal.subject == "[DRILL] INCIDENT DECLARED — [P0] Checkout API returning 502s"
    assert internal.body.splitlines()[0] == internal.subject
    customer = templates.render("resolution.customer", context(drill=True))
    assert customer.subject.startswith("[DRILL] ")
    assert customer.body.startswith("[DRILL] The issues affecting")


def test_override_replaces_a_default() -> None:
    templates = TemplateSet.from_config({
        "progress.internal": "UPDATE {{ human_id }} is {{ status | upper }}\n{{ latest_update }}"
    })
    rendered = templates.render("progress.internal", context())
    assert rendered.subject == "UPDATE INC-2026-0042 is INVESTIGATING"
    assert rendered.body.endswith("error rate is falling.")
    # Untouched templates keep their defaults.
    assert templates.source("initial.internal") == DEFAULT_TEMPLATES["initial.internal"]


def test_bridge_and_chat_channel_links_render_from_templates() -> None:
    templates = TemplateSet.from_config(
        {"bridge_url": "https://meet.example.com/{{ human_id | lower }}"})
    assert templates.render_link("bridge_url", context()) == \
        "https://meet.example.com/inc-2026-0042"
    assert templates.render_link("chat_channel", context()) == "inc-2026-0042"
    assert TemplateSet.default().render_link("bridge_url", context()) is None


def test_undefined_variable_in_override_fails_at_load_naming_template_file_and_line() -> None:
    text = ("templates:\n  initial.internal: |\n    DECLARED {{ title }}\n"
            "    Owner: {{ owner }}\n")
    data, smap = loads(text, "templates.yaml")
    with pytest.raises(TemplateError) as info:
        TemplateSet.from_config(data["templates"], where=smap.where)
    message = str(info.value)
    assert message.startswith("templates.yaml:2: template 'initial.internal' line 2:")
    assert "'owner' is undefined" in message
    assert "human_id" in message  # lists what is available


def test_syntax_error_names_template_and_line() -> None:
    with pytest.raises(TemplateError, match=r"'progress.customer' line 2: .*"):
        TemplateSet.from_config({"progress.customer": "ok\n{% if status %}unclosed"})


def test_unknown_template_name_lists_the_known_ones() -> None:
    with pytest.raises(TemplateError, match=r"unknown template 'intial\.internal'.*"
                                            r"initial\.internal"):
        TemplateSet.from_config({"intial.internal": "x"})


def test_render_time_undefined_variable_is_a_clear_error() -> None:
    templates = TemplateSet({"initial.internal": "{{ sevrity }}"})
    with pytest.raises(TemplateError, match=r"'initial\.internal' line 1: 'sevrity' is undefined"):
        templates.render("initial.internal", context())


@pytest.mark.parametrize("attack", [
    "{{ title.__class__ }}",
    "{{ title.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ services.__class__.__base__ }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ title.format_map.__self__ }}",
])
def test_sandbox_blocks_dunder_and_internal_access(attack: str) -> None:
    with pytest.raises(TemplateError, match=r"sandbox|undefined|unsafe|has no attribute"):
        TemplateSet.from_config({"initial.internal": "x " + attack})


def test_sandbox_blocks_mutating_the_context() -> None:
    services = ["checkout-api"]
    templates = TemplateSet({"initial.internal": "{{ services.append('evil') }}x"})
    with pytest.raises(TemplateError, match="sandbox"):
        templates.render("initial.internal", context(services=services))
    assert services == ["checkout-api"]


def test_plain_text_is_not_html_escaped() -> None:
    rendered = TemplateSet.default().render("initial.internal",
                                            context(title="A & B <down>"))
    assert rendered.subject == "INCIDENT DECLARED — [P0] A & B <down>"


def test_preview_uses_sample_context_and_unsaved_text() -> None:
    templates = TemplateSet.default()
    assert templates.preview("initial.internal").subject.startswith("INCIDENT DECLARED — [P0]")
    draft = templates.preview("initial.internal", {"title": "Draft"},
                              text="Hello {{ title }} ({{ severity }})")
    assert draft.subject == "Hello Draft (P0)"
    # Previewing a draft does not change the set.
    assert templates.source("initial.internal") == DEFAULT_TEMPLATES["initial.internal"]


def test_public_audience_reads_the_customer_templates() -> None:
    assert message_template_name("progress", "public") == "progress.customer"
    assert message_template_name("initial", "internal") == "initial.internal"


def test_sample_context_documents_every_key() -> None:
    assert set(sample_context()) == set(CONTEXT_KEYS)
