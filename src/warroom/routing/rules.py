"""Rules: CEL conditions over alerts and incidents, compiled once at config load, yielding actions.

A rule fires on its `triggers` (`alert_firing`, `alert_resolved`, `incident_declared`,
`incident_changed`), tests `when` against a context (`labels`, `annotations`, `values`, `alert`,
`incident`) and emits its actions; `stop: true` ends evaluation when the rule matched.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, get_args

import celpy
import lark
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.celparser import CELParseError, CELParser
from celpy.evaluation import CELEvalError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from warroom.intake.signal import Signal
from warroom.yamlfile import SourceMap, format_pydantic_errors

Trigger = Literal["alert_firing", "alert_resolved", "incident_declared", "incident_changed"]
TRIGGERS: tuple[str, ...] = get_args(Trigger)
ActionKind = Literal["declare", "attach", "set_severity", "set_type", "add_responders",
                     "assign_role", "add_note", "suppress", "run_step"]
ACTION_KINDS: tuple[str, ...] = get_args(ActionKind)

# celpy logs "Internal error" for every failed evaluation; failures are reported to callers.
logging.getLogger("celpy").setLevel(logging.CRITICAL)


class DeclareConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    severity: str | None = None
    type: str | None = None
    title: str | None = Field(None, description="Template, e.g. '{{ labels.service }} is down'.")


class RoleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str
    user: str


class RunStepConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    runbook: str
    step: str


class SuppressConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = ""


class ActionConfig(BaseModel):
    """Exactly one of the action keys, e.g. `{set_severity: P1}` or `{declare: {...}}`."""

    model_config = ConfigDict(extra="forbid")

    declare: DeclareConfig | None = None
    attach: bool | None = None
    set_severity: str | None = None
    set_type: str | None = None
    add_responders: list[str] | None = None
    assign_role: RoleConfig | None = None
    add_note: str | None = None
    suppress: SuppressConfig | bool | None = None
    run_step: RunStepConfig | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ActionConfig:
        given = [kind for kind in ACTION_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            raise ValueError(f"an action has exactly one of {', '.join(ACTION_KINDS)}; "
                             f"got {', '.join(given) or 'none'}")
        return self

    @property
    def kind(self) -> ActionKind:
        kind: ActionKind
        for kind in get_args(ActionKind):
            if getattr(self, kind) is not None:
                return kind
        raise AssertionError("validated to have one action")


class RuleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    # Not `on`: YAML 1.1 reads a bare `on:` key as the boolean true.
    triggers: list[Trigger] = Field(default_factory=lambda: list[Trigger](["alert_firing"]),
                                    min_length=1)
    when: str = "true"
    actions: list[ActionConfig] = Field(min_length=1)
    stop: bool = False


class RulesConfig(BaseModel):
    """The rules file."""

    model_config = ConfigDict(extra="forbid")

    rules: list[RuleConfig] = Field(default_factory=list)


@dataclass(frozen=True)
class RuleAction:
    """One action a matching rule asks for, with templates already rendered."""

    rule: str
    kind: ActionKind
    severity: str | None = None
    incident_type: str | None = None
    title: str | None = None
    responders: tuple[str, ...] = ()
    role: str | None = None
    user: str | None = None
    note: str | None = None
    reason: str | None = None
    runbook: str | None = None
    step: str | None = None


@dataclass(frozen=True)
class RuleEvaluation:
    actions: list[RuleAction]
    matched: list[str]
    errors: list[str] = field(default_factory=list)


class RuleCompileError(ValueError):
    """Rules that failed to load; one `file:line: rules[i] 'name': problem` per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class _DefaultingMap(celtypes.MapType):  # type: ignore[misc]
    """A label map where a missing name reads as "" (Alertmanager's rule); `"x" in m` tests
    presence."""

    def __missing__(self, key: Any) -> Any:
        return celtypes.StringType("")

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key]


def _cel_map(cls: Any, items: dict[Any, Any]) -> Any:
    # MapType.__init__ re-checks every key for duplicates; ours come from a dict already.
    mapping = cls.__new__(cls)
    dict.update(mapping, items)
    return mapping


def _to_cel(value: Any) -> Any:
    if type(value) is str:
        return celtypes.StringType(value)
    if isinstance(value, datetime):
        return celtypes.TimestampType(value)
    if isinstance(value, timedelta):
        return celtypes.DurationType(value)
    if isinstance(value, Mapping):
        return _cel_map(celtypes.MapType, {celtypes.StringType(str(k)): _to_cel(v)
                                           for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return celtypes.ListType([_to_cel(v) for v in value])
    if value is None:
        return None
    return json_to_cel(value)


def _string_map(values: Mapping[str, str]) -> Any:
    return _cel_map(_DefaultingMap, {celtypes.StringType(k): celtypes.StringType(v)
                                     for k, v in values.items()})


def _activation(context: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "labels": _string_map(context.get("labels") or {}),
        "annotations": _string_map(context.get("annotations") or {}),
        "values": _to_cel(dict(context.get("values") or {})),
        "alert": _to_cel(dict(context.get("alert") or {})),
        "incident": _to_cel(dict(context.get("incident") or {})),
        "change": _to_cel(dict(context.get("change") or {})),
    }


_TEMPLATE_FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}")


def render_template(template: str, context: Mapping[str, Any]) -> str:
    """Fill `{{ labels.service }}`-style fields from the context; unknown fields become ""."""

    def lookup(found: re.Match[str]) -> str:
        value: Any = context
        for part in found.group(1).split("."):
            if not isinstance(value, Mapping) or part not in value:
                return ""
            value = value[part]
        return "" if value is None else str(value)

    return _TEMPLATE_FIELD.sub(lookup, template)


def _numeric(text: str) -> float | None:
    """A number from an annotation: "0.7", "7e-01" (Prometheus `{{ $value }}`) or "70%"
    (`{{ $value | humanizePercentage }}`, read as 0.7)."""
    text = text.strip()
    try:
        # Decimal, so "71.4%" is 0.714 and not 0.7140000000000001.
        number = (float(Decimal(text[:-1].rstrip()) / 100) if text.endswith("%")
                  else float(text))
    except (ValueError, ArithmeticError):
        return None
    return number if number == number else None  # NaN never compares usefully


def signal_values(signal: Signal) -> dict[str, float]:
    """Numbers a rule can compare: Grafana's `values`, then annotations that are plain numbers."""
    values: dict[str, float] = {}
    for name, text in signal.annotations.items():
        number = _numeric(text)
        if number is not None:
            values[name] = number
    raw_values = signal.raw.get("values")
    if isinstance(raw_values, dict):
        for name, value in raw_values.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values[str(name)] = float(value)
    return values


def signal_context(signal: Signal, service: str | None = None,
                   severity: str | None = None) -> dict[str, Any]:
    """The rule context for an alert trigger; add `incident` for an alert joining one."""
    return {
        "labels": signal.labels,
        "annotations": signal.annotations,
        "values": signal_values(signal),
        "alert": {
            "source": signal.source,
            "integration": signal.integration,
            "dedup_key": signal.dedup_key,
            "status": signal.status,
            "summary": signal.summary,
            "severity_hint": signal.severity_hint or "",
            "service": service or "",
            "severity": severity or "",
        },
        "incident": {},
    }


def _eval_message(error: CELEvalError) -> str:
    # celpy nests the useful text: ('evaluation error', CELEvalError, ("no such member...",..))
    args: Any = error.args
    while len(args) >= 3 and isinstance(args[2], tuple) and args[2]:
        args = args[2]
    return str(args[0]) if args else "evaluation error"


# A field path a condition reads: (variable, field), or (variable, None) for all of it.
Read = tuple[str, str | None]
_MISSING = object()
_DECISIONS_PER_RULE = 4096


def reads_of(ast: lark.Tree[Any]) -> tuple[Read, ...]:
    """The variables and fields a compiled `when` can read. `labels.job` and `labels["job"]`
    read one field; any other use of a variable (`"x" in values`, `labels.exists(...)`, a
    computed index) reads all of it. Every identifier counts, so none can be missed."""
    found: set[Read] = set()

    def visit(node: lark.Tree[Any], parent: lark.Tree[Any] | None) -> None:
        if node.data == "member" and len(node.children) == 1:
            primary = node.children[0]
            ident = primary.children[0] if isinstance(primary, lark.Tree) else None
            if (isinstance(primary, lark.Tree) and primary.data == "primary"
                    and isinstance(ident, lark.Tree) and ident.data == "ident"):
                found.add((str(ident.children[0]), _field(parent, node)))
        for child in node.children:
            if isinstance(child, lark.Tree):
                visit(child, node)

    visit(ast, None)
    names = {name for name, field_name in found if field_name is None}
    return tuple(sorted((read for read in found if read[1] is None or read[0] not in names),
                        key=lambda read: (read[0], read[1] or "")))


def _field(parent: lark.Tree[Any] | None, member: lark.Tree[Any]) -> str | None:
    """The constant field a member access takes from `member`, if that is all it does."""
    if parent is None or not parent.children or parent.children[0] is not member:
        return None
    if parent.data == "member_dot" and isinstance(parent.children[1], lark.Token):
        return str(parent.children[1])
    if parent.data == "member_index":
        literal = _string_literal(parent.children[1])
        if literal is not None:
            return literal
    return None


def _string_literal(node: Any) -> str | None:
    while isinstance(node, lark.Tree) and len(node.children) == 1:
        node = node.children[0]
    text = str(node) if isinstance(node, lark.Token) else ""
    if (len(text) >= 2 and text[0] in "\"'" and text[-1] == text[0]
            and "\\" not in text and text[0] not in text[1:-1]):
        return text[1:-1]
    return None


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return (type(value).__name__, value)


def _read_key(reads: tuple[Read, ...], context: Mapping[str, Any]) -> tuple[Any, ...]:
    key: list[Any] = []
    for name, field_name in reads:
        value = context.get(name, _MISSING)
        if field_name is not None:
            value = value.get(field_name, _MISSING) if isinstance(value, Mapping) else _MISSING
        key.append(_MISSING if value is _MISSING else _freeze(value))
    return tuple(key)


@dataclass(frozen=True)
class _CompiledRule:
    config: RuleConfig
    fast: Any  # celpy CompiledRunner: transpiled to Python, ~4x faster
    exact: Any  # celpy InterpretedRunner: the reference semantics
    reads: tuple[Read, ...] = ()
    # The outcome for each combination of the values `when` reads: a storm of alerts that
    # differ only in fields the condition ignores costs one evaluation (CEL is pure).
    decisions: dict[tuple[Any, ...], Any] = field(default_factory=dict, compare=False)

    def decide(self, context: Mapping[str, Any],
               activation: Callable[[], dict[str, Any]]) -> Any:
        """`run` on the activation, remembered by the values this condition reads."""
        key = _read_key(self.reads, context)
        try:
            return self.decisions[key]
        except KeyError:
            pass
        result = self.run(activation())
        if len(self.decisions) >= _DECISIONS_PER_RULE:
            self.decisions.clear()
        self.decisions[key] = result
        return result

    def run(self, activation: dict[str, Any]) -> Any:
        """Evaluate with the fast program; on an error, ask the interpreter. celpy 0.5's
        transpiler mishandles `has(x.y) && ...` when y is absent, which the interpreter
        short-circuits correctly, so errors are only final when both agree."""
        try:
            result = self.fast.evaluate(activation)
        except CELEvalError as exc:
            result = exc
        if not isinstance(result, CELEvalError):
            return result
        try:
            return self.exact.evaluate(activation)
        except CELEvalError as exc:
            return exc


class RuleSet:
    """Compiled rules; build with `compile_rules`, then call `evaluate` per trigger."""

    def __init__(self, rules: Sequence[_CompiledRule]) -> None:
        self._rules = list(rules)
        self._by_trigger = {
            trigger: [rule for rule in self._rules if trigger in rule.config.triggers]
            for trigger in TRIGGERS
        }

    @property
    def names(self) -> list[str]:
        return [rule.config.name for rule in self._rules]

    def has_rules_for(self, trigger: Trigger) -> bool:
        return bool(self._by_trigger.get(trigger))

    def evaluate(self, trigger: Trigger, context: Mapping[str, Any]) -> list[RuleAction]:
        return self.evaluate_detailed(trigger, context).actions

    def evaluate_detailed(self, trigger: Trigger, context: Mapping[str, Any]) -> RuleEvaluation:
        """Run the rules for `trigger` in file order. A rule whose condition fails to evaluate
        (e.g. comparing a missing value) counts as not matching, and the error is reported."""
        if trigger not in self._by_trigger:
            raise ValueError(f"unknown trigger {trigger!r}; one of {', '.join(TRIGGERS)}")
        built: list[dict[str, Any]] = []

        def activation() -> dict[str, Any]:
            if not built:
                built.append(_activation(context))
            return built[0]

        actions: list[RuleAction] = []
        matched: list[str] = []
        errors: list[str] = []
        for rule in self._by_trigger[trigger]:
            result = rule.decide(context, activation)
            if isinstance(result, CELEvalError):
                errors.append(f"rule {rule.config.name!r}: {_eval_message(result)}")
                continue
            if not isinstance(result, (bool, celtypes.BoolType)):
                errors.append(f"rule {rule.config.name!r}: `when` must be true or false, "
                              f"got {result!r}")
                continue
            if not result:
                continue
            matched.append(rule.config.name)
            actions.extend(_render(rule.config, action, context)
                           for action in rule.config.actions)
            if rule.config.stop:
                break
        return RuleEvaluation(actions, matched, errors)


def _render(rule: RuleConfig, action: ActionConfig, context: Mapping[str, Any]) -> RuleAction:
    name = rule.name
    kind = action.kind
    if action.declare is not None:
        title = action.declare.title
        return RuleAction(name, kind, severity=action.declare.severity,
                          incident_type=action.declare.type,
                          title=render_template(title, context) if title else None)
    if action.assign_role is not None:
        return RuleAction(name, kind, role=action.assign_role.role,
                          user=render_template(action.assign_role.user, context))
    if action.run_step is not None:
        return RuleAction(name, kind, runbook=action.run_step.runbook, step=action.run_step.step)
    if action.suppress is not None:
        reason = action.suppress.reason if isinstance(action.suppress, SuppressConfig) else ""
        return RuleAction(name, kind, reason=render_template(reason, context) or None)
    if action.add_note is not None:
        return RuleAction(name, kind, note=render_template(action.add_note, context))
    return RuleAction(name, kind, severity=action.set_severity, incident_type=action.set_type,
                      responders=tuple(action.add_responders or ()))


def _where(smap: SourceMap | None, loc: Sequence[str | int]) -> str:
    return f"{smap.where(loc)}: " if smap is not None else ""


def load_cel_parser(cache: Path | None) -> None:
    """Build celpy's process-wide Lark parser, caching its analysed grammar in `cache`.

    Building the LALR tables costs about 0.3-0.8 s, most of warroom's cold start; loading them
    from the cache takes about 10 ms. Lark checks the grammar's sha256 against the file, so a
    cel-python upgrade rebuilds it. The options are celpy's own (CELParser.__init__), with
    the tree class of the compiled runner, which compile_rules creates first."""
    if CELParser.CEL_PARSER is not None:
        return
    target: str | bool = False
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            target = str(cache)
        except OSError:  # a read-only data dir: build without the cache
            target = False
    grammar = (Path(celpy.__file__).parent / "cel.lark").read_text()
    CELParser.CEL_PARSER = lark.Lark(
        grammar, parser="lalr", start="expr", debug=True, g_regex_flags=re.M,
        lexer_callbacks={"IDENT": CELParser.ambiguous_literals}, propagate_positions=True,
        maybe_placeholders=False, priority="invert",
        tree_class=celpy.CompiledRunner.tree_node_class, cache=target)


def compile_rules(configs: Sequence[RuleConfig] | RulesConfig, smap: SourceMap | None = None,
                  severities: Sequence[str] | None = None,
                  prefix: Sequence[str | int] = ("rules",)) -> RuleSet:
    """Compile every `when` once; collect all problems (syntax, unknown severities, duplicate
    names) into one RuleCompileError naming rule, file and line."""
    rules = configs.rules if isinstance(configs, RulesConfig) else list(configs)
    fast_env = celpy.Environment(runner_class=celpy.CompiledRunner)
    exact_env = celpy.Environment(runner_class=celpy.InterpretedRunner)
    problems: list[str] = []
    compiled: list[_CompiledRule] = []
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        loc = (*prefix, index)
        label = f"rules[{index}] {rule.name!r}"
        if rule.name in seen:
            problems.append(f"{_where(smap, (*loc, 'name'))}{label}: duplicate rule name — "
                            "rule names must be unique so the timeline can say which fired")
        seen.add(rule.name)
        for a_index, action in enumerate(rule.actions):
            wanted = (action.declare.severity if action.declare else action.set_severity)
            if severities is not None and wanted is not None and wanted not in severities:
                problems.append(
                    f"{_where(smap, (*loc, 'actions', a_index))}{label}: unknown severity "
                    f"{wanted!r} — this organisation defines {', '.join(severities)}")
        try:
            ast = exact_env.compile(rule.when)
            programs = (fast_env.program(ast), exact_env.program(ast))
        except CELParseError as exc:
            caret = str(exc).rstrip("\n")
            problems.append(
                f"{_where(smap, (*loc, 'when'))}{label}: CEL syntax error in `when` at "
                f"line {exc.line}, column {exc.column}:\n{caret}")
            continue
        compiled.append(_CompiledRule(rule, *programs, reads=reads_of(ast)))
    if problems:
        raise RuleCompileError(problems)
    return RuleSet(compiled)


def load_rules(data: Any, smap: SourceMap | None = None,
               severities: Sequence[str] | None = None) -> RuleSet:
    """Validate and compile a parsed rules document (from warroom.yamlfile.load)."""
    try:
        config = RulesConfig.model_validate(data)
    except ValidationError as exc:
        where = smap or SourceMap(file="<rules>")
        raise RuleCompileError(format_pydantic_errors(exc.errors(), where)) from None
    return compile_rules(config, smap, severities)
