"""Notification channels: one module per channel behind the `Notifier` interface (base.py),
built from config through the registry (registry.py), plus retry and rate-limit policy."""
