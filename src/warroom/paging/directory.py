"""The organisation's paging config, validated once per runtime: schedules, policies, teams,
users' contacts, channels, templates and the `communications:` settings."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from warroom.config.loader import ConfigError
from warroom.domain.durations import parse_duration
from warroom.domain.escalation import EscalationPolicy, Team
from warroom.domain.incident import IncidentState
from warroom.domain.notification_rules import UserContacts
from warroom.domain.schedules import Override, Schedule
from warroom.domain.severity import SeverityScheme
from warroom.domain.templates import TemplateError, TemplateSet
from warroom.notify.channels import ChannelConfigError, parse_channels
from warroom.oncall.config import OncallConfig, OncallConfigError, parse_oncall
from warroom.paging.ack_links import DEFAULT_TTL, AckLinks
from warroom.store.paging import StoredOverride

if TYPE_CHECKING:
    from warroom.runtime import Runtime

# Contact-method kinds and the channel types that can deliver them.
CONTACT_CHANNEL_TYPES = {"email": ("email",), "sms": ("sms",), "voice": ("voice",),
                         "slack": ("slack", "mattermost", "rocketchat"),
                         "webhook": ("webhook",), "push": ("webhook",)}
CHAT_TYPES = ("slack", "mattermost", "rocketchat", "teams", "discord")
WAR_ROOM_SEVERITIES = ("P0", "P1")


@dataclass(frozen=True)
class Communications:
    """The `communications:` section: links, war-room and update settings."""

    bridge_url_template: str | None = None
    status_page_url: str | None = None
    base_url: str | None = None
    war_room_severities: tuple[str, ...] = WAR_ROOM_SEVERITIES
    chat_channel: str | None = None
    """the Slack channel (by config name) whose bot token creates per-incident channels"""
    contact_channels: dict[str, str] = field(default_factory=dict)
    audience_channels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    restricted_channels: tuple[str, ...] = ()
    """the security responders' channels: the only channels restricted incidents reach"""
    update_grace: timedelta = timedelta(minutes=5)
    default_escalation_policy: str | None = None
    ack_link_ttl: timedelta = DEFAULT_TTL
    """how long the acknowledge link in a page works"""


def _communications(raw: dict[str, Any], where: Any) -> Communications:
    # Other subsystems (status page, runbooks) keep their own keys in this section too.
    known = set(Communications.__dataclass_fields__)
    values: dict[str, Any] = {k: v for k, v in raw.items() if k in known}
    for name in ("update_grace", "ack_link_ttl"):
        if name in values:
            try:
                values[name] = parse_duration(values[name])
            except ValueError as exc:
                raise ConfigError([f"{where(('communications', name))}: "
                                   f"communications.{name}: {exc}"]) from None
    if "war_room_severities" in values:
        values["war_room_severities"] = tuple(values["war_room_severities"])
    if "restricted_channels" in values:
        values["restricted_channels"] = tuple(values["restricted_channels"] or ())
    if "audience_channels" in values:
        values["audience_channels"] = {k: tuple(v) for k, v in
                                       dict(values["audience_channels"]).items()}
    return Communications(**values)


@dataclass
class PagingDirectory:
    schedules: dict[str, Schedule]
    policies: dict[str, EscalationPolicy]
    teams: dict[str, Team]
    contacts: dict[str, UserContacts]
    channels: dict[str, BaseModel]
    templates: TemplateSet
    communications: Communications
    scheme: SeverityScheme
    service_policy: dict[str, str | None]
    service_team: dict[str, str | None]
    display_names: dict[str, str]
    oncall: OncallConfig  # the validated sections, for views that show them as written
    ack_links: AckLinks | None = None
    """signs the acknowledge links in pages to people (None: pages carry none)"""

    def schedule(self, name: str, extra: list[StoredOverride]) -> Schedule | None:
        """The configured schedule with runtime overrides merged in (runtime ones win)."""
        base = self.schedules.get(name)
        if base is None:
            return None
        added = tuple(Override(o.user, o.start, o.end, o.reason)
                      for o in extra if o.schedule == name)
        return replace(base, overrides=base.overrides + added) if added else base

    def schedules_with(self, extra: list[StoredOverride]) -> dict[str, Schedule]:
        return {name: s for name in self.schedules
                if (s := self.schedule(name, extra)) is not None}

    def channel_type(self, channel: str) -> str | None:
        config = self.channels.get(channel)
        return str(getattr(config, "type", "")) or None if config is not None else None

    def channel_for_contact(self, kind: str) -> str | None:
        """Which channel delivers a contact method of `kind` (configured, else by type)."""
        if kind in self.communications.contact_channels:
            return self.communications.contact_channels[kind]
        for name, config in self.channels.items():
            if getattr(config, "type", None) in CONTACT_CHANNEL_TYPES.get(kind, ()):
                return name
        return None

    def audience_channels(self, audience: str) -> list[str]:
        """Channels carrying `audience`: `communications.audience_channels` if given, else
        channels that declare the audience in their `audiences:` setting."""
        if audience in self.communications.audience_channels:
            return list(self.communications.audience_channels[audience])
        return [name for name, config in self.channels.items()
                if "audiences" in config.model_fields_set
                and audience in getattr(config, "audiences", ())]

    def incident_channels(self, incident: IncidentState, audience: str) -> list[str]:
        """The configured channels that may carry `audience` messages about `incident`.

        A restricted incident never reaches shared or public channels: its internal messages
        go only to `communications.restricted_channels` (the security responders'), and its
        customer and public messages go nowhere."""
        if incident.visibility != "normal":
            wanted = self.communications.restricted_channels if audience == "internal" else ()
        else:
            wanted = tuple(self.audience_channels(audience))
        return [name for name in wanted if name in self.channels]

    def slack_channel(self) -> tuple[str, BaseModel] | None:
        """The Slack channel config whose bot token opens per-incident channels, if any."""
        names = [self.communications.chat_channel] if self.communications.chat_channel \
            else list(self.channels)
        for name in names:
            config = self.channels.get(name or "")
            token = getattr(config, "bot_token", None)
            if config is not None and token is not None and token.get_secret_value() and \
                    not token.get_secret_value().endswith("not-configured"):
                return name or "", config
        return None

    def policy_for(self, services: tuple[str, ...], severity: str) -> str | None:
        """The severity's override, else the first service's policy, else its team's."""
        level = self.scheme.get(severity)
        if level is not None and level.escalation_policy:
            return level.escalation_policy
        for service in services:
            if self.service_policy.get(service):
                return self.service_policy[service]
            team = self.teams.get(self.service_team.get(service) or "")
            if team is not None and team.escalation_policy:
                return team.escalation_policy
        return self.communications.default_escalation_policy


def build_directory(runtime: Runtime) -> PagingDirectory:
    """Validate the paging sections of the runtime's config; ConfigError names file:line."""
    cfg = runtime.config
    where = runtime.loaded.origins.where
    data = {"schedules": cfg.schedules, "escalation_policies": cfg.escalation_policies,
            "teams": [t.model_dump() for t in cfg.teams],
            "users": [u.model_dump() for u in cfg.users]}
    communications = _communications(dict(cfg.communications), where)
    if not communications.base_url:  # links in messages point at this server
        communications = replace(communications, base_url=runtime.settings.public_url)
    overrides = dict(cfg.templates)
    if communications.bridge_url_template:
        overrides["bridge_url"] = communications.bridge_url_template
    try:
        oncall = parse_oncall(data, runtime.loaded.origins)
        channels = parse_channels(cfg.channels, runtime.loaded.origins,  # type: ignore[arg-type]
                                  prefix=("channels",)) if cfg.channels else {}
        templates = TemplateSet.from_config(overrides, where=lambda loc: where(tuple(loc)))
    except (OncallConfigError, ChannelConfigError) as exc:
        raise ConfigError(exc.problems) from exc
    except TemplateError as exc:
        raise ConfigError(str(exc).splitlines()) from exc
    return PagingDirectory(
        schedules=oncall.schedule_map(), policies=oncall.policy_map(), teams=oncall.team_map(),
        contacts=oncall.contacts_map(), channels=channels, templates=templates,
        communications=communications,
        scheme=cfg.severity_scheme(),
        service_policy={s.name: s.escalation_policy for s in cfg.services},
        service_team={s.name: s.team for s in cfg.services},
        display_names={u.name: u.display_name or u.name for u in cfg.users}, oncall=oncall,
        ack_links=AckLinks.for_secret(communications.base_url or runtime.settings.public_url,
                                      runtime.secret_key, communications.ack_link_ttl))


def directory(runtime: Runtime) -> PagingDirectory:
    """The runtime's directory, built on first use."""
    found = runtime.extras.get("paging.directory")
    if found is None:
        found = build_directory(runtime)
        runtime.extras["paging.directory"] = found
    assert isinstance(found, PagingDirectory)
    return found
