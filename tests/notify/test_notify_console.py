"""The console channel writes readable messages to a stream or the log."""

from __future__ import annotations

import io
import logging

import pytest

from warroom.notify.config import CHANNEL_CONFIG_ADAPTER
from warroom.notify.registry import NotifierDeps, build_notifier
from warroom.testing.messages import sample_message


def test_console_writes_to_a_stream() -> None:
    stream = io.StringIO()
    config = CHANNEL_CONFIG_ADAPTER.validate_python({"type": "console", "stream": "stdout"})
    result = build_notifier(config, NotifierDeps(stream=stream)).send(sample_message(), "alice")
    assert result.ok
    text = stream.getvalue()
    assert text.startswith("[page to alice] INC-2026-0042 P0 (internal) key=inc-0042:page:1\n")
    assert "Impact: Checkout fails" in text
    assert "Bridge: https://meet.example.com/inc-2026-0042" in text


def test_console_logs_at_the_configured_level(caplog: pytest.LogCaptureFixture) -> None:
    config = CHANNEL_CONFIG_ADAPTER.validate_python({"type": "console", "level": "warning"})
    with caplog.at_level(logging.DEBUG, logger="warroom.notify.console"):
        assert build_notifier(config).send(sample_message()).status == "logged"
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "INC-2026-0042" in record.getMessage()
