"""PromQL steps against a small local server that answers like Prometheus' query API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from warroom.runbooks.executors.promql import run_promql
from warroom.runbooks.model import PromqlExecutor, Threshold

SEEN: list[str] = []


def answer(query: str) -> dict[str, object]:
    if query == "bad(":
        return {"status": "error", "errorType": "bad_data", "error": "parse error"}
    if query.startswith("scalar"):
        return {"status": "success", "data": {"resultType": "scalar", "result": [1, "7"]}}
    if query.startswith("none"):
        return {"status": "success", "data": {"resultType": "vector", "result": []}}
    return {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"__name__": "errors", "pod": "a"}, "value": [1, "0.5"]},
        {"metric": {"__name__": "errors", "pod": "b"}, "value": [1, "3"]}]}}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)["query"][0]
        SEEN.append(query)
        body = json.dumps(answer(query)).encode()
        self.send_response(200 if url.path == "/api/v1/query" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def prometheus() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_query_without_threshold_reports_series(prometheus: str) -> None:
    result = run_promql(PromqlExecutor(type="promql", query="errors"), {}, base_url=prometheus)
    assert result.outcome == "ok"
    assert result.output == 'errors{pod="a"} 0.5\nerrors{pod="b"} 3'


def test_threshold_must_hold_for_every_series(prometheus: str) -> None:
    step = PromqlExecutor(type="promql", query="errors", threshold=Threshold(op="<", value=1))
    result = run_promql(step, {}, base_url=prometheus)
    assert result.outcome == "failed" and 'errors{pod="b"} = 3' in result.detail
    step = PromqlExecutor(type="promql", query="errors", threshold=Threshold(op="<", value=5))
    assert run_promql(step, {}, base_url=prometheus).outcome == "ok"


def test_scalar_no_data_and_errors(prometheus: str) -> None:
    step = PromqlExecutor(type="promql", query="scalar(x)", threshold=Threshold(op="==", value=7))
    assert run_promql(step, {}, base_url=prometheus).outcome == "ok"
    step = PromqlExecutor(type="promql", query="none", threshold=Threshold(op=">", value=0))
    assert "no data" in run_promql(step, {}, base_url=prometheus).detail
    result = run_promql(PromqlExecutor(type="promql", query="bad("), {}, base_url=prometheus)
    assert result.outcome == "failed" and "bad_data" in result.detail


def test_label_values_are_escaped_inside_promql_strings(prometheus: str) -> None:
    step = PromqlExecutor(type="promql", query='errors{pod="{{pod}}"}')
    run_promql(step, {"pod": 'x"} or vector(1) or {a="'}, base_url=prometheus)
    assert SEEN[-1] == 'errors{pod="x\\"} or vector(1) or {a=\\""}'


def test_unreachable_prometheus_fails_cleanly() -> None:
    result = run_promql(PromqlExecutor(type="promql", query="up"), {},
                        base_url="http://127.0.0.1:9")
    assert result.outcome == "failed" and "query failed" in result.detail
