"""The runbook YAML format as Pydantic models, and its JSON Schema."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from croniter import croniter
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from warroom.runbooks.durations import format_duration, parse_duration
from warroom.runbooks.inert import pattern_problem

PHASES = ("triage", "diagnose", "evidence", "mitigate", "verify", "recover", "communicate",
          "post-incident")
Phase = Literal["triage", "diagnose", "evidence", "mitigate", "verify", "recover",
                "communicate", "post-incident"]
ExecutionMode = Literal["enabled", "dry-run", "disabled"]
NAMED_CADENCES = ("daily", "weekly", "monthly", "quarterly", "yearly")

Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^(\s*\d+(\.\d+)?\s*[a-z]+\s*)+$",
                    "examples": ["30s", "5m", "1h", "2d"]}),
]

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
PARAM_PATTERN = r"^[a-z][a-z0-9_]*$"
MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LabelMatcher(_Strict):
    """One parsed `name=value`, `name!=value`, `name=~regex` or `name!~regex` matcher."""

    name: str
    op: Literal["=", "!=", "=~", "!~"]
    value: str

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op == "=~" else not found


def parse_matcher(text: str) -> LabelMatcher:
    """Parse `alertname=Foo` / `severity=~crit.*`; quotes around the value are optional."""
    m = MATCHER.match(text)
    if not m:
        raise ValueError(f"not a label matcher: {text!r} — write name=value, name!=value, "
                         "name=~regex or name!~regex")
    name, op, value = m.groups()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    if op in ("=~", "!~"):
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"bad regular expression in matcher {text!r}: {exc}") from exc
    return LabelMatcher(name=name, op=op, value=value)  # type: ignore[arg-type]


class AppliesTo(_Strict):
    services: list[str] = Field(default_factory=list)
    alerts: list[str] = Field(default_factory=list, description=(
        "Alert label matchers, all of which must hold for one alert: alertname=Foo, "
        "severity=~crit.*"))
    incident_types: list[str] = Field(default_factory=list)
    severities: list[str] = Field(default_factory=list)

    @field_validator("alerts")
    @classmethod
    def _matchers_parse(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_matcher(text)
        return value

    def matchers(self) -> list[LabelMatcher]:
        return [parse_matcher(text) for text in self.alerts]


class Parameter(_Strict):
    name: str = Field(pattern=PARAM_PATTERN)
    description: str | None = None
    default: str | None = None
    source: str | None = Field(default=None, pattern=r"^(label|annotation):[A-Za-z_][\w.-]*$",
                               description="Fill from an alert: label:NAME or annotation:NAME")
    secret: bool = False
    pattern: str | None = Field(default=None, description=(
        "For a parameter filled from an alert: the regex its value must match instead of the "
        "default inert-word rule; it must not be able to match any shell metacharacter, "
        "whitespace or control character"))
    free_text: bool = Field(default=False, description=(
        "For a parameter filled from an alert: accept any text. Only for steps that use it "
        "solely inside one shell's quotes (\"{{name}}\" or \"$WR_P_NAME\"), never in a "
        "nested shell"))

    @field_validator("pattern")
    @classmethod
    def _safe_pattern(cls, value: str | None) -> str | None:
        problem = pattern_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _one_value_rule(self) -> Parameter:
        if self.pattern is not None and self.free_text:
            raise ValueError(f"parameter {self.name!r} sets both pattern and free_text; "
                             "choose one")
        return self


class ManualExecutor(_Strict):
    type: Literal["manual"] = "manual"
    instructions: str | None = None
    snippet: str | None = Field(default=None, description="Attached code (SQL, YAML, ...)")
    snippet_language: str | None = None


class ShellExecutor(_Strict):
    type: Literal["shell"]
    command: str = Field(min_length=1)
    workdir: str | None = None


class HttpExecutor(_Strict):
    type: Literal["http"]
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    url: str = Field(min_length=1)
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    expect_status: list[int] = Field(default_factory=lambda: [200], description=(
        "Acceptable status codes (one number or a list)"))
    expect_body: str | None = Field(default=None, description="Text the body must contain")

    @field_validator("expect_status", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, int) else value


class Threshold(_Strict):
    """The condition every returned sample must satisfy for the step to pass."""

    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: float


class PromqlExecutor(_Strict):
    type: Literal["promql"]
    query: str = Field(min_length=1)
    threshold: Threshold | None = None


class WaitExecutor(_Strict):
    type: Literal["wait"]
    duration: Duration | None = Field(default=None, description=(
        "How long to wait; without it the run waits here until a responder ends it"))


class NotifyExecutor(_Strict):
    type: Literal["notify"]
    template: str | None = None
    audience: str | None = None
    message: str | None = None

    @model_validator(mode="after")
    def _has_content(self) -> NotifyExecutor:
        if not self.template and not self.message:
            raise ValueError("a notify step needs a template or a message")
        return self


def _manual_by_default(value: Any) -> Any:
    """An executor mapping without `type` is a manual step."""
    if isinstance(value, dict) and "type" not in value:
        return {"type": "manual", **value}
    return value


Executor = Annotated[
    ManualExecutor | ShellExecutor | HttpExecutor | PromqlExecutor | WaitExecutor
    | NotifyExecutor,
    Field(discriminator="type"),
    BeforeValidator(_manual_by_default),
]


class Approval(_Strict):
    roles: list[str] = Field(min_length=1)
    count: int = Field(default=1, ge=1)


class Revert(_Strict):
    within: Duration
    step: str | None = Field(default=None, description="Id of the step that undoes this one")


class Step(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    phase: Phase | None = None
    option: str | None = Field(default=None, pattern=r"^[A-Z]$",
                               description="Alternatives share a letter: A, B, C")
    notes: str | None = None
    executor: Executor = Field(default_factory=ManualExecutor)
    requires_approval: Approval | None = None
    dangerous: bool = False
    revert: Revert | None = None
    auto: bool = False
    timeout: Duration | None = None
    captures_evidence: bool = False
    source: str | None = Field(default=None, description=(
        "Where an imported step came from: FILE:FIRST-LAST, the source lines it was made of"))
    expected_output: str | None = Field(default=None, description=(
        "What the source showed the command printing (imported sample output)"))

    def source_lines(self) -> tuple[str, int, int] | None:
        """(file, first line, last line) of an imported step's `source`, or None."""
        m = re.fullmatch(r"(.+):(\d+)(?:-(\d+))?", self.source or "")
        if not m:
            return None
        first = int(m.group(2))
        return m.group(1), first, int(m.group(3) or first)


class Runbook(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    owner: str | None = None
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    applies_to: AppliesTo = Field(default_factory=AppliesTo)
    schedule: str | None = Field(default=None, description="Cron expression for standalone runs")
    test_cadence: str | None = Field(default=None, description=(
        "How often to rehearse: daily, weekly, monthly, quarterly, yearly or a duration"))
    capture_evidence_first: bool = False
    parameters: list[Parameter] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    source: str | None = None
    source_document: str | None = Field(default=None, description=(
        "Imported runbooks: the copy of the source Markdown kept beside this file "
        "(a relative path such as sources/db.md), shown next to the steps in the console"))

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None and not croniter.is_valid(value):
            raise ValueError(f"not a cron expression: {value!r} — e.g. '0 2 * * *'")
        return value

    @field_validator("source_document")
    @classmethod
    def _relative(cls, value: str | None) -> str | None:
        if value is not None and (value.startswith("/") or "\\" in value
                                  or ".." in value.split("/") or not value.strip()):
            raise ValueError(f"source_document must be a relative path inside the runbook "
                             f"directory, like sources/db.md, got {value!r}")
        return value

    @field_validator("test_cadence")
    @classmethod
    def _cadence(cls, value: str | None) -> str | None:
        if value is None or value in NAMED_CADENCES:
            return value
        parse_duration(value)
        return value

    def parameter_names(self) -> set[str]:
        return {p.name for p in self.parameters}

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of one runbook file."""
    schema = Runbook.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "warroom runbook"
    return schema
