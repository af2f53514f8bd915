"""The metrics page: MTTA, MTTM and MTTR month by month, per severity and per service, as
server-rendered SVG charts with the same figures in tables underneath."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warroom.api.deps import Services, services
from warroom.domain.severity import SeverityScheme
from warroom.evidence.trends import TREND_MEASURES, trend_json, trend_report
from warroom.web.charts import MultiLineChart, multi_line_chart
from warroom.web.session import PageUser
from warroom.web.templating import render, severity_info

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]

PATH = "/reports/metrics"  # /metrics is the Prometheus scrape endpoint
MONTH_CHOICES = (3, 6, 12)
DEFAULT_MONTHS = 6
STATS = {"median": "Median", "p90": "90th percentile"}
SERVICES_CHARTED = 6  # the busiest ones; the table lists every service
MEASURE_TITLES = {"mtta": "MTTA, time to acknowledge", "mttm": "MTTM, time to mitigate",
                  "mttr": "MTTR, time to resolve"}


def month_labels(months: list[str]) -> list[str]:
    """"Aug 25", "Sep", …, "Jan 26": the year on the first month and on every January."""
    labels = []
    for i, key in enumerate(months):
        month = datetime.strptime(key, "%Y-%m")
        labels.append(month.strftime("%b %y" if i == 0 or month.month == 1 else "%b"))
    return labels


def _charts(trends: list[dict[str, Any]], names: list[str], tones: list[str], stat: str,
            labels: list[str]) -> dict[str, MultiLineChart]:
    return {measure: multi_line_chart(
        [(name, [m[measure][stat] for m in trend["months"]])
         for name, trend in zip(names, trends, strict=True)], labels, tones)
        for measure in TREND_MEASURES}


def severity_charts(data: dict[str, Any], scheme: SeverityScheme, stat: str,
                    labels: list[str]) -> dict[str, MultiLineChart]:
    """One line per severity, named "P1 High" and coloured like the severity."""
    infos = [severity_info(scheme, t["key"]) for t in data["by_severity"]]
    return _charts(data["by_severity"], [f"{i['key']} {i['name']}" for i in infos],
                   [f"sev-{i['rank']}" for i in infos], stat, labels)


def service_charts(data: dict[str, Any], stat: str,
                   labels: list[str]) -> tuple[dict[str, MultiLineChart], list[str]]:
    """One line per service, for the busiest few; returns the charts and the services left
    out of them."""
    ranked = sorted(data["by_service"], key=lambda t: (-t["total"]["incidents"], t["key"]))
    shown = ranked[:SERVICES_CHARTED]
    charts = _charts(shown, [t["key"] for t in shown],
                     [f"series-{i}" for i in range(len(shown))], stat, labels)
    return charts, sorted(t["key"] for t in ranked[SERVICES_CHARTED:])


@router.get(PATH)
def metrics_page(request: Request, svc: Svc, who: PageUser, months: str = "",
                 stat: str = "median") -> Response:
    chosen = int(months) if months.isdigit() and int(months) in MONTH_CHOICES \
        else DEFAULT_MONTHS
    stat = stat if stat in STATS else "median"
    data = trend_json(trend_report(svc.runtime, who, chosen))
    labels = month_labels(data["months"])
    by_service, left_out = service_charts(data, stat, labels)
    return render(request, "metrics.html", {
        "data": data, "months": chosen, "stat": stat, "stats": STATS,
        "month_choices": MONTH_CHOICES, "measure_titles": MEASURE_TITLES,
        "charts": {"severity": severity_charts(data, svc.runtime.vocab.scheme, stat, labels),
                   "service": by_service},
        "services_left_out": left_out,
        "twin": f"/api/v1/reports/metrics/trend?months={chosen}"}, who)
