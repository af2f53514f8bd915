"""The metrics page through HTTP: MTTA, MTTM and MTTR per severity and per service as SVG
charts with a table, its JSON twin, the period selector, and restricted incidents left out for
people who may not see them. Also the multi-series chart geometry it draws."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from warroom.clock import FakeClock
from warroom.runtime import Runtime
from warroom.web.charts import multi_line_chart
from warroom.web.testkit import Browser

TWIN = "/api/v1/reports/metrics/trend"


def _clock(rt: Runtime) -> FakeClock:
    assert isinstance(rt.clock, FakeClock)
    return rt.clock


def _declare(browser: Browser, title: str, severity: str, services: list[str],
             **extra: str) -> str:
    resp = browser.post("/incidents", {"title": title, "severity": severity,
                                       "services": services, **extra})
    assert resp.status_code == 303, resp.text[:400]
    return str(resp.headers["location"])


def _two_p1_incidents(browser: Browser, rt: Runtime) -> None:
    """A: ack 4m, monitoring 10m, resolved 60m. B: ack 10m, resolved 120m (mitigated then)."""
    clock = _clock(rt)
    a = _declare(browser, "Login slow", "P1", ["auth"])
    b = _declare(browser, "Tokens rejected", "P1", ["auth", "api"])
    clock.advance(timedelta(minutes=4))
    assert browser.post(f"{a}/acknowledge").status_code == 303
    clock.advance(timedelta(minutes=6))
    assert browser.post(f"{b}/acknowledge").status_code == 303
    assert browser.post(f"{a}/status", {"status": "monitoring"}).status_code == 303
    clock.advance(timedelta(minutes=50))
    assert browser.post(f"{a}/resolve", {"summary": "cache warmed",
                                         "confirm": "yes"}).status_code == 303
    clock.advance(timedelta(minutes=60))
    assert browser.post(f"{b}/resolve", {"summary": "keys rotated",
                                         "confirm": "yes"}).status_code == 303


def _rows(html: str) -> list[list[str]]:
    """Table rows as lists of cell texts (tags stripped)."""
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells])
    return rows


def test_metrics_page_charts_and_tables_median_and_p90_per_severity_and_service(
        browser: Browser, org_runtime: Runtime) -> None:
    browser.login("rita")
    _two_p1_incidents(browser, org_runtime)
    browser.login("vic")
    resp = browser.get("/reports/metrics")
    assert resp.status_code == 200, resp.text[:400]
    html = resp.text
    assert f'<link rel="alternate" type="application/json" href="{TWIN}?months=6">' in html
    assert '<a href="/reports/metrics" aria-current="page">Metrics</a>' in html
    # Six charts (three measures by severity, three by service), each a labelled image.
    assert len(re.findall(r'<svg viewBox="0 0 420 170" role="img"', html)) == 6
    assert 'data-series="P1 High"' in html and 'data-series="auth"' in html
    assert "</svg> P1 High</li>" in html  # the legend names the severity, not colour alone
    rows = _rows(html)
    assert ["P1 High", "2026-01", "2", "7m", "10m", "1h 05m", "2h 00m", "1h 30m", "2h 00m"] \
        in rows
    assert ["api", "2026-01", "1", "10m", "10m", "2h 00m", "2h 00m", "2h 00m", "2h 00m"] in rows
    assert ["auth", "All 6 months", "2", "7m", "10m", "1h 05m", "2h 00m", "1h 30m",
            "2h 00m"] in rows
    data = browser.get(f"{TWIN}?months=6").json()
    assert data["months"] == ["2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01"]
    [p1] = data["by_severity"]
    assert p1["key"] == "P1"
    january = p1["months"][-1]
    assert january["incidents"] == 2
    assert january["mtta"] == {"count": 2, "median": 420.0, "p90": 600.0}
    assert january["mttm"] == {"count": 2, "median": 3900.0, "p90": 7200.0}
    assert january["mttr"] == {"count": 2, "median": 5400.0, "p90": 7200.0}
    assert [m["incidents"] for m in p1["months"][:-1]] == [0] * 5
    assert {t["key"] for t in data["by_service"]} == {"api", "auth"}


def test_period_and_statistic_come_from_the_query_string(browser: Browser,
                                                         org_runtime: Runtime) -> None:
    browser.login("rita")
    _two_p1_incidents(browser, org_runtime)
    html = browser.get("/reports/metrics?months=12&stat=p90").text
    assert f'href="{TWIN}?months=12"' in html
    assert '<option value="12" selected>' in html and '<option value="p90" selected>' in html
    assert "MTTA, time to acknowledge, 90th percentile by severity. P1 High:" in html
    assert "Feb 25" in html and "Jan 26" in html  # the year marks the first month and January
    assert len(browser.get(f"{TWIN}?months=12").json()["months"]) == 12
    fallback = browser.get("/reports/metrics?months=7&stat=mean").text
    assert f'href="{TWIN}?months=6"' in fallback
    assert "time to acknowledge, median by severity" in fallback
    assert browser.get(f"{TWIN}?months=0").status_code == 422


def test_restricted_incidents_do_not_move_the_figures_of_those_who_cannot_see_them(
        browser: Browser, second_browser: Browser, org_runtime: Runtime) -> None:
    clock = _clock(org_runtime)
    browser.login("rita")
    second_browser.login("sam")
    normal = _declare(browser, "Checkout errors", "P1", ["api"])
    secret = _declare(second_browser, "Credential stuffing", "P1", ["auth"], type="security")
    clock.advance(timedelta(minutes=4))
    browser.post(f"{normal}/acknowledge")
    clock.advance(timedelta(minutes=26))
    second_browser.post(f"{secret}/acknowledge")
    clock.advance(timedelta(minutes=30))
    browser.post(f"{normal}/resolve", {"summary": "rolled back", "confirm": "yes"})
    clock.advance(timedelta(hours=4))
    second_browser.post(f"{secret}/resolve", {"summary": "blocked", "confirm": "yes"})
    for name in ("rita", "vic"):
        browser.login(name)
        data = browser.get(f"{TWIN}?months=6").json()
        overall = data["overall"]["total"]
        assert overall["incidents"] == 1, name
        assert overall["mtta"]["median"] == 240 and overall["mttr"]["median"] == 3600
        assert [t["key"] for t in data["by_service"]] == ["api"]
        html = browser.get("/reports/metrics").text
        assert not any(row[:2] == ["auth", "All 6 months"] for row in _rows(html))
    # The security responder sees both, so her medians include the restricted one.
    sam = second_browser.get(f"{TWIN}?months=6").json()["overall"]["total"]
    assert sam["incidents"] == 2
    assert sam["mtta"] == {"count": 2, "median": 1020.0, "p90": 1800.0}


def test_metrics_page_needs_a_login(browser: Browser) -> None:
    resp = browser.client.get("/reports/metrics", follow_redirects=False)
    assert resp.status_code in (302, 303)
    assert browser.client.get(TWIN).status_code == 401


def test_multi_line_chart_shares_one_scale_and_breaks_lines_at_gaps() -> None:
    chart = multi_line_chart([("P0 Critical", [60.0, None, 120.0, 30.0]),
                              ("P1 High", [None, 240.0, None, None])],
                             ["a", "b", "c", "d"], tones=["sev-0", "sev-1"],
                             width=155, height=60, pad=10, left=40)
    assert chart.ceiling == 240
    assert [x for x, _ in chart.labels] == [40, 75, 110, 145]
    p0, p1 = chart.series
    assert [(p.x, p.y) for p in p0.points] == [(40, 40), (110, 30), (145, 45)]
    assert p0.segments == ["110.0,30.0 145.0,45.0"]  # the gap at "b" splits the line
    assert p1.segments == [] and len(p1.marker_paths()) == 1  # a lone value is a marker
    assert (p0.tone, p1.tone) == ("sev-0", "sev-1")
    assert (p0.marker, p0.dash) != (p1.marker, p1.dash)
    assert not chart.empty
    assert multi_line_chart([("x", [None, None])], ["a", "b"]).empty
    with pytest.raises(ValueError):
        multi_line_chart([("x", [1.0])], ["a", "b"])
