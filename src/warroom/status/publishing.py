"""Publishing an incident to the status page: the one path the console, API and CLI share.

Publishing needs the commander role. Only the incident's public services can be named, and
restricted incidents and drills are refused (by the domain)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from warroom.domain import incident as dom
from warroom.domain.errors import InvalidCommand
from warroom.domain.publication import Publication, default_component_status, default_impact
from warroom.runtime import Runtime
from warroom.services.incidents import CommandResult, IncidentService
from warroom.services.principal import Principal
from warroom.store import db
from warroom.store import publications as store


@dataclass(frozen=True)
class PublishRequest:
    title: str
    components: Mapping[str, str] = field(default_factory=dict)  # service -> status
    impact: str = "minor"
    body: str = ""


def public_components(runtime: Runtime) -> dict[str, str]:
    """Public service name -> component name, in config order."""
    return {s.name: s.component_name or s.name for s in runtime.config.services if s.public}


def publish(runtime: Runtime, principal: Principal | None, ref: str,
            request: PublishRequest) -> CommandResult:
    public = public_components(runtime)
    for name in request.components:
        if name not in public:
            raise InvalidCommand(f"components: {name!r} is not a status page component; "
                                 f"public services are {', '.join(public) or 'none'} "
                                 "(set public: true on a service to show it)")
    return IncidentService(runtime).execute(principal, ref, dom.Publish(
        title=request.title, components=tuple(request.components.items()),
        impact=request.impact, body=request.body))


def current(runtime: Runtime, incident_id: str) -> Publication | None:
    with db.read(runtime.engine) as conn:
        return store.current(conn, incident_id)


def suggestion(runtime: Runtime, incident: dom.IncidentState) -> PublishRequest:
    """What the publish dialog starts from: the last publication, else the incident's public
    services at a status and impact matching its severity, and no title (a person writes
    the public one; the internal title often names hosts and customers)."""
    found = current(runtime, incident.id)
    if found is not None:
        return PublishRequest(found.title, dict(found.components), found.impact)
    keys = runtime.vocab.scheme.keys()
    rank = keys.index(incident.severity) if incident.severity in keys else len(keys)
    public = public_components(runtime)
    return PublishRequest("", {s: default_component_status(rank) for s in incident.services
                               if s in public}, default_impact(rank))
