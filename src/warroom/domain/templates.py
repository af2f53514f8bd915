"""Communication templates: initial, progress and resolution messages, internal and customer,
rendered by a sandboxed Jinja2 from a plain dict. Organisations override them in config."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

from jinja2 import BaseLoader, StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2 import Environment as JinjaEnvironment
from jinja2.exceptions import SecurityError
from jinja2.exceptions import TemplateError as JinjaTemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from warroom.clock import utc

__all__ = [
    "CONTEXT_KEYS",
    "DEFAULT_TEMPLATES",
    "DRILL_PREFIX",
    "LINK_TEMPLATES",
    "MESSAGE_TEMPLATES",
    "RenderedMessage",
    "TemplateError",
    "TemplateSet",
    "message_template_name",
    "sample_context",
]

# The one documented list of what a template can use. Keys missing from a context are None;
# any other name is an error, so a typo in an override fails at config load, not at 3 a.m.
CONTEXT_KEYS: Mapping[str, str] = {
    "human_id": "incident id people say out loud, e.g. INC-2026-0042",
    "title": "incident title",
    "severity": "severity key, e.g. P0",
    "severity_name": "severity name, e.g. Critical",
    "status": "incident status, e.g. investigating",
    "impact": "impact statement",
    "type": "incident type, e.g. service_outage",
    "started_at": "when the incident started (text or datetime; datetimes print as UTC)",
    "commander": "incident commander's name or handle",
    "comms_lead": "comms lead's name or handle",
    "bridge_url": "bridge (video call) link",
    "chat_channel": "war-room chat channel, e.g. #inc-2026-0042",
    "status_page_url": "public status page link",
    "next_update_minutes": "minutes until the next update is due (None: no fixed cadence)",
    "latest_update": "body of the update being posted",
    "services": "affected service names (a list)",
    "drill": "true for drills; rendering adds the [DRILL] prefix itself",
    "duration": "time from start until now or resolution, e.g. 1h 25m",
    "resolved_at": "when the incident was resolved",
    "root_cause": "short root-cause statement",
    "incident_url": "link to the incident in warroom",
}

DRILL_PREFIX = "[DRILL] "

MESSAGE_TEMPLATES = tuple(f"{phase}.{audience}"
                          for phase in ("initial", "progress", "resolution", "reminder")
                          for audience in ("internal", "customer")
                          if not (phase == "reminder" and audience == "customer"))
LINK_TEMPLATES = ("bridge_url", "chat_channel")

_NEXT_UPDATE = (
    "{% if next_update_minutes %}Next update in {{ next_update_minutes }} minutes"
    "{{ suffix }}.{% else %}Next update when the status changes.{% endif %}")

DEFAULT_TEMPLATES: Mapping[str, str] = {
    # Follows the runbooks' "INCIDENT DECLARED" Slack template (seeds 001 and 003).
    "initial.internal": """\
INCIDENT DECLARED — [{{ severity }}] {{ title }}

Incident: {{ human_id }}
Severity: {{ severity }}{{ " (" ~ severity_name ~ ")" if severity_name else "" }}
Status: {{ status | title }}
Impact: {{ impact or "Being assessed" }}
{% if services %}
Affected Services: {{ services | join(", ") }}
{% endif %}
Started: {{ started_at }}
Incident Commander: {{ commander or "unassigned" }}
{% if comms_lead %}
Comms Lead: {{ comms_lead }}
{% endif %}
Bridge: {{ bridge_url or "not set up yet" }}
{% if chat_channel %}
Chat: {{ chat_channel }}
{% endif %}
Status Page: {{ status_page_url or "not published" }}

""" + _NEXT_UPDATE.replace("{{ suffix }}", "") + "\n",
    # The runbooks' "Progress Update" template.
    "progress.internal": """\
INCIDENT UPDATE — [{{ severity }}] {{ human_id }}: {{ title }}

Status: {{ status | title }}
{% if duration %}
Duration: {{ duration }}
{% endif %}
Impact: {{ impact or "Being assessed" }}
Progress: {{ latest_update or "No new information." }}
Incident Commander: {{ commander or "unassigned" }}
Bridge: {{ bridge_url or "not set up yet" }}

""" + _NEXT_UPDATE.replace("{{ suffix }}", " or when the status changes") + "\n",
    # The runbooks' "Resolution Notification" template.
    "resolution.internal": """\
INCIDENT RESOLVED — [{{ severity }}] {{ human_id }}: {{ title }}

{% if duration %}
Duration: {{ duration }}
{% endif %}
Root Cause: {{ root_cause or "Under investigation; see the post-incident review" }}
Fix Applied: {{ latest_update or "See the incident timeline" }}
Impact: {{ impact or "See the incident timeline" }}

Services are now fully operational.
{% if incident_url %}
Post-incident review: {{ incident_url }}
{% endif %}
""",
    # The runbooks' customer "Initial Notice" (seed 003) and "Initial Incident Notification"
    # (seed 000).
    "initial.customer": """\
Subject: {{ services | join(", ") if services else title }} - Service Issue

We are currently experiencing issues with {{ services | join(", ") if services else title }}.
Our team is actively working to resolve the problem.

Status: {{ status | title }}
Impact: {{ impact or "We are assessing the impact" }}
Started: {{ started_at }}
{% if status_page_url %}
Status Page: {{ status_page_url }}
{% endif %}

We apologize for any inconvenience{% if next_update_minutes %} and will provide updates \
every {{ next_update_minutes }} minutes{% endif %}.
""",
    "progress.customer": """\
Subject: {{ services | join(", ") if services else title }} - Update

Status: {{ status | title }}
{{ latest_update or "We are continuing to work on a fix." }}

{% if status_page_url %}
Status Page: {{ status_page_url }}
{% endif %}

""" + _NEXT_UPDATE.replace("{{ suffix }}", "") + "\n",
    # The runbooks' customer "Resolution Notice".
    "resolution.customer": """\
Subject: {{ services | join(", ") if services else title }} - Service Restored

The issues affecting {{ services | join(", ") if services else title }} have been resolved.

Duration: {{ started_at }} to {{ resolved_at or "now" }}
Impact: {{ impact or "Some requests failed or were slow" }}
{% if root_cause %}
Cause: {{ root_cause }}
{% endif %}

We apologize for the disruption and have taken steps to prevent similar issues.
""",
    "reminder.internal": """\
UPDATE DUE — [{{ severity }}] {{ human_id }}: {{ title }}

A status update is due now{% if next_update_minutes %} (every {{ next_update_minutes }} \
minutes for {{ severity }}){% endif %}.
Incident Commander: {{ commander or "unassigned" }}
{% if comms_lead %}
Comms Lead: {{ comms_lead }}
{% endif %}
{% if incident_url %}
Post it here: {{ incident_url }}
{% endif %}
""",
    "bridge_url": "",
    "chat_channel": "{{ human_id | lower }}",
}


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str


class TemplateError(ValueError):
    """A template that does not compile or render; the message names it and the line."""

    def __init__(self, detail: str, *, template: str, line: int | None = None) -> None:
        super().__init__(detail)
        self.template = template
        self.line = line


def message_template_name(phase: str, audience: str) -> str:
    """`initial`/`progress`/`resolution` × audience; the public audience reads the customer
    version."""
    return f"{phase}.{'customer' if audience == 'public' else audience}"


def sample_context() -> dict[str, Any]:
    """A realistic P0 context, used to check overrides at load time and for previews."""
    return {
        "human_id": "INC-2026-0042",
        "title": "Checkout API returning 502s",
        "severity": "P0",
        "severity_name": "Critical",
        "status": "investigating",
        "impact": "Customers cannot complete checkout",
        "type": "service_outage",
        "started_at": "2026-01-05 09:00 UTC",
        "commander": "@alice",
        "comms_lead": "@bob",
        "bridge_url": "https://meet.example.com/inc-2026-0042",
        "chat_channel": "#inc-2026-0042",
        "status_page_url": "https://status.example.com",
        "next_update_minutes": 15,
        "latest_update": "Rolled back the 08:55 deploy; error rate is falling.",
        "services": ["checkout-api"],
        "drill": False,
        "duration": "25m",
        "resolved_at": "2026-01-05 09:25 UTC",
        "root_cause": "A bad connection-pool setting in the 08:55 deploy",
        "incident_url": "https://warroom.example.com/incidents/INC-2026-0042",
    }


def _finalize(value: Any) -> Any:
    # None prints as nothing rather than "None"; instants print the same way everywhere.
    if value is None:
        return ""
    if isinstance(value, datetime):
        return utc(value).strftime("%Y-%m-%d %H:%M UTC")
    return value


class _SourceLoader(BaseLoader):
    """Serves template text by name, with the name as the 'filename' so tracebacks name it."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self._sources = sources

    def get_source(self, environment: JinjaEnvironment,
                   template: str) -> tuple[str, str, Callable[[], bool]]:
        return self._sources[template], template, lambda: True


def _environment(sources: Mapping[str, str]) -> ImmutableSandboxedEnvironment:
    # Immutable sandbox: templates cannot reach dunders, call unsafe methods, or mutate the
    # caller's lists and dicts. Plain text, so no HTML autoescaping.
    return ImmutableSandboxedEnvironment(
        loader=_SourceLoader(sources), autoescape=False, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, finalize=_finalize,
        auto_reload=False)


def _template_line(traceback: TracebackType | None, name: str) -> int | None:
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == name:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _split_subject(text: str) -> RenderedMessage:
    first, _, rest = text.partition("\n")
    if first.lower().startswith("subject:"):
        return RenderedMessage(first[len("subject:"):].strip(), rest.strip("\n"))
    return RenderedMessage(first.strip(), text)


def _with_drill_prefix(message: RenderedMessage) -> RenderedMessage:
    subject = message.subject if message.subject.startswith(DRILL_PREFIX.strip()) \
        else DRILL_PREFIX + message.subject
    body = message.body if message.body.startswith(DRILL_PREFIX.strip()) \
        else DRILL_PREFIX + message.body
    return RenderedMessage(subject, body)


class TemplateSet:
    """The organisation's templates: the defaults with any overrides applied."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self._sources = dict(sources)
        self._env = _environment(self._sources)

    @classmethod
    def default(cls) -> TemplateSet:
        return cls(DEFAULT_TEMPLATES)

    @classmethod
    def from_config(cls, overrides: Mapping[str, Any] | None,
                    where: Callable[[Sequence[str | int]], str] | None = None,
                    prefix: Sequence[str | int] = ("templates",)) -> TemplateSet:
        """Defaults plus `overrides` (the config's `templates:` mapping). Every override is
        compiled and test-rendered now, so mistakes surface at load time. `where` is
        `SourceMap.where`, to put file and line in errors."""
        locate = where or (lambda loc: ".".join(str(part) for part in loc))
        problems: list[str] = []
        sources = dict(DEFAULT_TEMPLATES)
        for name, text in (overrides or {}).items():
            loc = (*prefix, name)
            if name not in DEFAULT_TEMPLATES:
                problems.append(f"{locate(loc)}: unknown template {name!r}; the templates are "
                                f"{', '.join(DEFAULT_TEMPLATES)}")
                continue
            if not isinstance(text, str):
                problems.append(f"{locate(loc)}: template {name!r} must be text (use a YAML "
                                "block scalar: `|`)")
                continue
            sources[name] = text
        templates = cls(sources)
        for name in (overrides or {}):
            if name not in DEFAULT_TEMPLATES or not isinstance(sources.get(name), str):
                continue
            try:
                if name in LINK_TEMPLATES:
                    templates.render_link(name, sample_context())
                else:
                    templates.render(name, sample_context())
            except TemplateError as exc:
                problems.append(f"{locate((*prefix, name))}: {exc}")
        if problems:
            raise TemplateError("\n".join(problems), template="templates")
        return templates

    def names(self) -> list[str]:
        return list(self._sources)

    def source(self, name: str) -> str:
        try:
            return self._sources[name]
        except KeyError:
            raise TemplateError(f"unknown template {name!r}; the templates are "
                                f"{', '.join(self._sources)}", template=name) from None

    def _render_text(self, name: str, context: Mapping[str, Any]) -> str:
        self.source(name)
        values = {key: None for key in CONTEXT_KEYS}
        values.update(context)
        try:
            return self._env.get_template(name).render(values)
        except TemplateSyntaxError as exc:
            raise TemplateError(f"template {name!r} line {exc.lineno}: {exc.message}",
                                template=name, line=exc.lineno) from None
        except SecurityError as exc:
            line = _template_line(exc.__traceback__, name)
            raise TemplateError(f"template {name!r}{_at(line)} was stopped by the sandbox: "
                                f"{exc}", template=name, line=line) from None
        except UndefinedError as exc:
            line = _template_line(exc.__traceback__, name)
            raise TemplateError(
                f"template {name!r}{_at(line)}: {exc}; the variables are "
                f"{', '.join(CONTEXT_KEYS)} (see docs/notifications.md)",
                template=name, line=line) from None
        except JinjaTemplateError as exc:
            line = _template_line(exc.__traceback__, name)
            raise TemplateError(f"template {name!r}{_at(line)}: {exc}", template=name,
                                line=line) from None

    def render(self, name: str, context: Mapping[str, Any]) -> RenderedMessage:
        """Render a message template. The subject is a leading `Subject:` line if the
        template has one, else the first line. Drills get `[DRILL] ` on subject and body."""
        message = _split_subject(_tidy(self._render_text(name, context)))
        return _with_drill_prefix(message) if context.get("drill") else message

    def render_link(self, name: str, context: Mapping[str, Any]) -> str | None:
        """Render a one-line template such as `bridge_url`; None when it renders empty."""
        text = " ".join(self._render_text(name, context).split())
        return text or None

    def preview(self, name: str, context: Mapping[str, Any] | None = None,
                text: str | None = None) -> RenderedMessage:
        """Render `name` (or unsaved `text` standing in for it) against `context`, or the
        sample context; for the preview endpoint and `warroom config` checks."""
        values = {**sample_context(), **(context or {})}
        templates = self if text is None else TemplateSet({**self._sources, name: text})
        if name in LINK_TEMPLATES:
            return RenderedMessage(name, templates.render_link(name, values) or "")
        return templates.render(name, values)


def _at(line: int | None) -> str:
    return f" line {line}" if line else ""
