"""Pydantic models of the organisation config (severities, types, roles, teams, services, users)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from warroom.domain.durations import format_duration, parse_duration
from warroom.domain.incident import DEFAULT_ROLES, DEFAULT_TYPES
from warroom.domain.severity import DEFAULT_SCHEME, SeverityLevel, SeverityScheme

Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    Field(json_schema_extra={"type": "string", "examples": ["5m", "1h", "24h"]}),
]

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
RoleName = Literal["viewer", "responder", "commander", "admin"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganisationInfo(Strict):
    name: str = "Example Org"
    timezone: str = "UTC"
    status_page_title: str | None = None


class SeverityConfig(Strict):
    key: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")]
    name: str
    description: str = ""
    ack_sla: Duration
    update_cadence: Duration | None = None
    page: bool = True
    escalation_policy: str | None = None


class IncidentTypeConfig(Strict):
    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")]
    name: str = ""
    restricted: bool = False


class TeamConfig(Strict):
    name: Name
    members: list[str] = []
    escalation_policy: str | None = None


class ServiceConfig(Strict):
    name: Name
    description: str = ""
    team: str | None = None
    escalation_policy: str | None = None
    runbooks: list[str] = []
    public: bool = False
    component_name: str | None = None
    auto_publish: list[str] = Field(
        default=[], description="Severities at which an incident on this public service is "
        "published to the status page at once; by default a person publishes it")
    public_title: str = Field(
        default="Issues affecting {component}", max_length=200,
        description="Public title of an auto-published incident; {component} and "
        "{severity_name} are filled in")
    probes: list[dict[str, Any]] = []
    maintenance: list[dict[str, Any]] = []


class UserConfig(Strict):
    name: Name
    display_name: str = ""
    email: str | None = None
    role: RoleName = "responder"
    security: bool = False
    contact_methods: list[dict[str, Any]] = []
    notification_rules: list[dict[str, Any]] = []


DEFAULT_SEVERITIES = [
    SeverityConfig(key=lvl.key, name=lvl.name, description=lvl.description,
                   ack_sla=lvl.ack_sla, update_cadence=lvl.update_cadence, page=lvl.page)
    for lvl in DEFAULT_SCHEME.levels
]


class OrgConfig(Strict):
    """The whole organisation. Sections owned by later subsystems are kept as raw data here
    and validated by their own modules."""

    organisation: OrganisationInfo = OrganisationInfo()
    severities: list[SeverityConfig] = Field(default_factory=lambda: list(DEFAULT_SEVERITIES))
    incident_types: list[IncidentTypeConfig] = Field(
        default=[], description="Custom incident types, added to the built-in ones: "
        + ", ".join(DEFAULT_TYPES))
    roles: list[str] = Field(default=[], description="Custom incident roles, added to: "
                             + ", ".join(DEFAULT_ROLES))
    teams: list[TeamConfig] = []
    services: list[ServiceConfig] = []
    users: list[UserConfig] = []
    integrations: list[dict[str, Any]] = []
    routes: list[dict[str, Any]] = []
    rules: list[dict[str, Any]] = []
    silences: list[dict[str, Any]] = []
    schedules: list[dict[str, Any]] = []
    escalation_policies: list[dict[str, Any]] = []
    channels: dict[str, dict[str, Any]] = {}
    templates: dict[str, Any] = {}
    communications: dict[str, Any] = {}
    runbooks: dict[str, Any] = {}
    status_page: dict[str, Any] = {}
    evidence: dict[str, Any] = {}
    postmortems: dict[str, Any] = {}
    drills: dict[str, Any] = {}

    def severity_scheme(self) -> SeverityScheme:
        return SeverityScheme(tuple(
            SeverityLevel(s.key, s.name, s.description, s.ack_sla, s.update_cadence, s.page,
                          s.escalation_policy)
            for s in self.severities))

    def incident_types_all(self) -> tuple[str, ...]:
        extra = [t.key for t in self.incident_types if t.key not in DEFAULT_TYPES]
        return (*DEFAULT_TYPES, *extra)

    def restricted_types(self) -> tuple[str, ...]:
        extra = [t.key for t in self.incident_types if t.restricted]
        return ("security", *extra)

    def roles_all(self) -> tuple[str, ...]:
        return (*DEFAULT_ROLES, *[r for r in self.roles if r not in DEFAULT_ROLES])

    def service_names(self) -> list[str]:
        return [s.name for s in self.services]
