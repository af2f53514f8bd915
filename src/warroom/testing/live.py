"""An in-process uvicorn server for a runtime, and a reader of Server-Sent Events frames, for
tests of live streams."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from warroom.api.app import create_app
from warroom.runtime import Runtime
from warroom.testing.server import free_port


@contextmanager
def serving(runtime: Runtime) -> Iterator[str]:
    """Serve `runtime`'s app on a free port; yields the base URL, stops the server after."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port,
                                           log_config=None, lifespan="off",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:  # readiness, not a timer: the server flips this when bound
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def frames(resp: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event name, data) for each SSE frame; comments (heartbeats) are skipped."""
    event, data = "message", ""
    for line in resp.iter_lines():
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and data:
            yield event, json.loads(data)
            event, data = "message", ""
