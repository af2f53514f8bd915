"""An organisation config for the evidence tests: review deadlines, a reminder channel and
an action-item tracker, both webhooks to a local receiver."""

from __future__ import annotations

from pathlib import Path


def evidence_config(tmp_path: Path, receiver_url: str) -> Path:
    """Write the config to tmp_path and return its path."""
    path = tmp_path / "evidence-org.yaml"
    path.write_text(f"""
postmortems:
  due: {{P0: 48h, P1: 48h, default: 7d}}
  remind_every: 24h
  reminder_channel: reminders
  action_items:
    tracker_webhook: tracker
channels:
  reminders:
    type: webhook
    url: {receiver_url}/reminders
  tracker:
    type: webhook
    url: {receiver_url}/tracker
""", encoding="utf-8")
    return path
