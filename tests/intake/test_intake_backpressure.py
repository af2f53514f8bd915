"""Back-pressure: past the writer's queue bound intake answers 503 with Retry-After, stores
nothing for that request, and everything answered 2xx is stored."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from warroom.intake import integrations as integ
from warroom.store.alerts import alerts
from warroom.store.db import create_engine
from warroom.testing.intake import am_alert, am_webhook, write_org
from warroom.testing.server import Server


def _start(tmp_path: Path, limit: int) -> tuple[Server, str, sa.Engine]:
    db_url = f"sqlite:///{tmp_path / 'w.db'}"
    server = Server(tmp_path, {"WARROOM_DATABASE_URL": db_url,
                               "WARROOM_CONFIG": str(write_org(tmp_path)),
                               "WARROOM_INTAKE_QUEUE_LIMIT": str(limit),
                               "WARROOM_WORKERS": "0"})
    server.start()
    engine = create_engine(db_url)
    with engine.connect() as conn:
        key = next(i.key for i in integ.list_all(conn) if i.name == "am")
    return server, f"{server.url}/api/v1/intake/alertmanager/{key}", engine


def _stored_jobs(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return {labels["job"] for (labels,) in conn.execute(sa.select(alerts.c.labels))}


@pytest.mark.e2e
def test_a_full_queue_answers_503_with_retry_after_and_stores_nothing(tmp_path: Path) -> None:
    server, url, engine = _start(tmp_path, limit=0)
    try:
        response = httpx.post(url, json=am_webhook(am_alert(job="refused")), timeout=30)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert "busy" in response.json()["detail"]
        assert _stored_jobs(engine) == set()
    finally:
        server.stop()
        engine.dispose()


@pytest.mark.e2e
def test_under_concurrent_load_every_accepted_alert_is_stored_and_no_refused_one(
        tmp_path: Path) -> None:
    server, url, engine = _start(tmp_path, limit=2)
    accepted: set[str] = set()
    refused: set[str] = set()
    lock = threading.Lock()

    def send(sender: int) -> None:
        with httpx.Client(timeout=60) as client:
            for n in range(10):
                job = f"job-{sender}-{n}"
                status = client.post(url, json=am_webhook(am_alert(job=job))).status_code
                assert status in (202, 503)
                with lock:
                    (accepted if status == 202 else refused).add(job)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(16)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stored = _stored_jobs(engine)
        assert len(accepted) + len(refused) == 160
        assert accepted <= stored
        assert not refused & stored
    finally:
        server.stop()
        engine.dispose()
