"""ipsbench's options on Locust's command line (`--ips-*`, also `IPSBENCH_*` and locust.conf).

Registered through Locust's `init_command_line_parser` event, as locust-plugins does, so plain
`locust -f locustfiles/mlp.py` gains them. SKIL credentials are not options: they come only
from IPSBENCH_SKIL_USER / IPSBENCH_SKIL_PASSWORD.
"""

from __future__ import annotations

from typing import Any

from locust import events

DEFAULTS = {
    "protocol": "v2",
    "batch": 1,
    "users": "1,2,4,8,16,32",
    "warmup": 2.0,
    "window": 2.0,
    "min_windows": 3,
    "max_windows": 6,
    "tolerance": 0.10,
    "results": "reports",
    "timeout": 30.0,
    "cpu_limit": 90.0,
}


@events.init_command_line_parser.add_listener
def add_options(parser: Any) -> None:
    # On the parser itself, not a group: only Locust's parser knows `include_in_web_ui`.
    def opt(name: str, text: str, **kwargs: Any) -> None:
        env = "IPSBENCH_" + name.upper().replace("-", "_")
        parser.add_argument(
            f"--ips-{name}", env_var=env, help=f"ipsbench: {text} [env {env}]", **kwargs
        )

    opt(
        "protocol",
        "wire protocol: tfserving, v2 or skil",
        default=DEFAULTS["protocol"],
        choices=["tfserving", "v2", "skil"],
        include_in_web_ui=True,
    )
    opt(
        "model",
        "model(s) to load, comma-separated (default: the locustfile's models)",
        default="",
        include_in_web_ui=True,
    )
    opt("batch", "rows per request", type=int, default=DEFAULTS["batch"], include_in_web_ui=True)
    opt(
        "users",
        "closed-loop steps: users per step, e.g. 1,2,4,8 or 1-32",
        default=DEFAULTS["users"],
        include_in_web_ui=True,
    )
    opt("warmup", "seconds of warm-up per step (discarded)", type=float, default=DEFAULTS["warmup"])
    opt("window", "seconds per measurement window", type=float, default=DEFAULTS["window"])
    opt(
        "min-windows",
        "windows before a step may end as stable",
        type=int,
        default=DEFAULTS["min_windows"],
    )
    opt(
        "max-windows",
        "windows after which an unstable step ends",
        type=int,
        default=DEFAULTS["max_windows"],
    )
    opt(
        "tolerance",
        "stability: the last 3 windows agree within this fraction",
        type=float,
        default=DEFAULTS["tolerance"],
    )
    opt("results", "folder the run folder is written under", default=DEFAULTS["results"])
    opt("run-id", "name of the run folder (default: the start time)", default="")
    opt("resume", "a run folder to continue: finished steps are skipped", default="")
    opt("deployment", "SKIL deployment", default="benchmark")
    opt("binary", "V2: send and receive Triton binary tensors", action="store_true", default=False)
    opt("input-shape", "row shape of a model not in the zoo, e.g. 100 or 32x32x3", default="")
    opt(
        "timeout",
        "seconds before a request counts as a timeout",
        type=float,
        default=DEFAULTS["timeout"],
    )
    opt(
        "targets",
        "model servers, comma-separated; users are pinned evenly (default: --host)",
        default="",
    )
    opt(
        "cpu-limit",
        "a worker above this CPU %% flags the step client_bound",
        type=float,
        default=DEFAULTS["cpu_limit"],
    )
    opt(
        "check-min-ips",
        "exit 3 when a model's best stable IPS is below this",
        type=float,
        default=0.0,
    )
    opt("check-max-p99-ms", "exit 3 when any step's p99 exceeds this", type=float, default=0.0)
    opt(
        "check-max-error-rate",
        "exit 3 when any step's error rate exceeds this",
        type=float,
        default=-1.0,
    )
    opt("topology-label", "free text describing where app and model servers run", default="")
