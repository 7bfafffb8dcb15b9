"""An "Inferences/s" tab in Locust's web UI: IPS and p99 per step, live, from the step controller.

Locust's UI renders `extended_tabs` / `extended_tables` from its template arguments and fills
them from `extended_stats` in its `/stats/requests` poll; we add both.
"""

from __future__ import annotations

import json
from typing import Any

from locust import events

TAB_KEY = "ips"
COLUMNS = [
    ("model", "Model"),
    ("users", "Users"),
    ("state", "State"),
    ("ips", "Inferences/s"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("error_rate", "Error rate"),
    ("flags", "Flags"),
]


def ips_rows() -> list[dict[str, Any]]:
    from ipsbench.load.shape import InferenceSteps

    controller = InferenceSteps.controller
    return controller.live_rows() if controller is not None else []


@events.init.add_listener
def _extend_web_ui(environment: Any, **_: Any) -> None:
    web_ui = environment.web_ui
    if web_ui is None:
        return
    web_ui.template_args["extended_tabs"] = [{"title": "Inferences/s", "key": TAB_KEY}]
    web_ui.template_args["extended_tables"] = [
        {"key": TAB_KEY, "structure": [{"key": k, "title": t} for k, t in COLUMNS]}
    ]

    @web_ui.app.after_request
    def _add_ips(response: Any) -> Any:
        from flask import request

        if not request.path.endswith("/stats/requests") or response.status_code != 200:
            return response
        data = response.get_json(silent=True) or {}
        extended = [e for e in data.get("extended_stats") or [] if e.get("key") != TAB_KEY]
        data["extended_stats"] = [*extended, {"key": TAB_KEY, "data": ips_rows()}]
        response.set_data(json.dumps(data))
        return response
