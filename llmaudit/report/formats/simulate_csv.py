"""The simulate report as one tidy CSV: a row per policy x slice (tier, task type, route)."""

from __future__ import annotations

import csv
import io

from llmaudit.report.safety import csv_text, map_strings
from llmaudit.report.simulate_model import SimulateReport

COLUMNS = ("policy", "section", "key", "requests", "rerouted", "baseline_cost_usd", "policy_cost_usd", "savings_usd")


def render(report: SimulateReport, options: object) -> str:
    report = map_strings(report, csv_text)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    b = report.baseline
    writer.writerow(["baseline", "total", "", b.requests, 0, b.total_cost_usd, b.total_cost_usd, 0.0])
    for p in report.policies:
        writer.writerow(
            [p.name, "total", "", b.requests, p.rerouted_requests, b.total_cost_usd, p.total_cost_usd, p.savings_usd]
        )
        for section, rows in (("tier", p.by_tier), ("task", p.by_task)):
            for r in rows:
                writer.writerow(
                    [
                        p.name,
                        section,
                        r.key,
                        r.requests,
                        r.rerouted,
                        r.baseline_cost_usd,
                        r.policy_cost_usd,
                        r.savings_usd,
                    ]
                )
        for route in p.routing:
            key = f"{route.from_model} -> {route.to_model}"
            saved = route.baseline_cost_usd - route.policy_cost_usd
            writer.writerow(
                [p.name, "route", key, route.requests, "", route.baseline_cost_usd, route.policy_cost_usd, saved]
            )
    return out.getvalue()
