"""The services page through HTTP: every configured service with its open incidents,
escalation policy and runbooks, linking its JSON twin."""

from __future__ import annotations

import re

from warroom.web.testkit import Browser


def test_services_page_shows_open_incidents_policy_and_runbooks(browser: Browser) -> None:
    browser.login("rita")
    browser.post("/incidents", {"title": "Site down", "severity": "P1",
                                "services": ["frontend"]})
    html = browser.get("/services").text
    names = re.findall(r'data-service="([^"]+)"', html)
    assert {"frontend", "api", "auth", "database", "monitoring"} <= set(names)
    frontend = html[html.index('data-service="frontend"'):]
    frontend = frontend[:frontend.index("</section>")]
    assert "1 open incident<" in frontend
    assert 'href="/runbooks/frontend-down"' in frontend
    # frontend names no policy of its own: it is paged through its team sre's.
    assert ">sre-escalation</a> <small>(team sre)</small>" in frontend
    assert '<link rel="alternate" type="application/json" href="/api/v1/services">' in html
