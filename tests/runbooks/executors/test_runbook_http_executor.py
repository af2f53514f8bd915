"""HTTP steps against a real local server on a random port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from warroom.runbooks.executors.http import run_http
from warroom.runbooks.model import HttpExecutor


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/slow"):
            threading.Event().wait(2)
        status = 503 if self.path.startswith("/down") else 200
        body = f"path={self.path} hdr={self.headers.get('X-Team', '')}".encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = b"got " + self.rfile.read(length)
        self.send_response(201)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_expected_status_and_body_pass(base_url: str) -> None:
    step = HttpExecutor(type="http", url=base_url + "/health/{{service}}",
                        headers={"X-Team": "{{team}}"}, expect_body="hdr=web")
    result = run_http(step, {"service": "a b/c", "team": "web"})
    assert result.outcome == "ok", result.detail
    assert "path=/health/a%20b%2Fc" in result.output
    assert result.rendered == f"GET {base_url}/health/a%20b%2Fc"


def test_wrong_status_or_body_fails_with_reason(base_url: str) -> None:
    result = run_http(HttpExecutor(type="http", url=base_url + "/down"), {})
    assert result.outcome == "failed" and result.detail == "status 503, expected 200"
    result = run_http(HttpExecutor(type="http", url=base_url + "/", expect_body="nope"), {})
    assert result.outcome == "failed" and "does not contain 'nope'" in result.detail


def test_post_with_body_and_list_of_statuses(base_url: str) -> None:
    step = HttpExecutor(type="http", method="POST", url=base_url + "/x", body="id={{id}}",
                        expect_status=[200, 201])
    result = run_http(step, {"id": "42"})
    assert (result.outcome, result.output) == ("ok", "got id=42")


def test_timeout_is_a_failure_not_an_exception(base_url: str) -> None:
    result = run_http(HttpExecutor(type="http", url=base_url + "/slow"), {},
                      timeout=timedelta(seconds=0.3))
    assert result.outcome == "failed" and "no response within 0.3s" in result.detail


def test_dry_run_sends_nothing() -> None:
    result = run_http(HttpExecutor(type="http", url="http://127.0.0.1:9/never"), {},
                      mode="dry-run")
    assert result.outcome == "skipped" and result.rendered == "GET http://127.0.0.1:9/never"


def test_host_and_port_parameter_reaches_the_server(base_url: str) -> None:
    target = base_url.removeprefix("http://")  # 127.0.0.1:PORT
    step = HttpExecutor(type="http", url="http://{{ target }}/health/{{ service }}?q={{ q }}")
    result = run_http(step, {"target": target, "service": "a/b", "q": "x&y=1"})
    assert result.outcome == "ok", result.detail
    assert result.rendered == f"GET http://{target}/health/a%2Fb?q=x%26y%3D1"
    assert "path=/health/a%2Fb?q=x%26y%3D1" in result.output


def test_a_base_url_parameter_starts_the_url(base_url: str) -> None:
    step = HttpExecutor(type="http", url="{{ base }}/health")
    result = run_http(step, {"base": base_url})
    assert result.outcome == "ok", result.detail
    assert result.rendered == f"GET {base_url}/health"


@pytest.mark.parametrize("url, values", [
    ("http://{{ target }}/health", {"target": "evil.example@127.0.0.1"}),
    ("http://{{ target }}/health", {"target": "127.0.0.1/x?"}),
    ("{{ base }}/health", {"base": "file:///etc/passwd"}),
    ("{{ base }}/health", {"base": "127.0.0.1:80"}),
])
def test_a_value_that_would_change_the_server_is_refused(url: str,
                                                         values: dict[str, str]) -> None:
    result = run_http(HttpExecutor(type="http", url=url), values)
    assert result.outcome == "failed"
    assert "cannot render request" in result.detail and "URL" in result.detail
