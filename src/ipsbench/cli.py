"""The `ipsbench` command line. Each subcommand's work is a plain function elsewhere."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ipsbench import __version__
from ipsbench.errors import UserError


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"ipsbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ipsbench: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ipsbench", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ipsbench {__version__}")
    commands = parser.add_subparsers(title="commands")

    models = commands.add_parser("models", help="the model zoo: list, build, push")
    zoo = models.add_subparsers(title="models commands")

    def zoo_common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--zoo", type=Path, help="catalog file (default: models/zoo.toml)")

    p = zoo.add_parser("list", help="the catalog, and what is built")
    zoo_common(p)
    p.add_argument("--out", type=Path, default=Path("models/build"), help="build folder")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_models_list)

    p = zoo.add_parser("build", help="build, export and measure models")
    zoo_common(p)
    p.add_argument("names", nargs="*", metavar="NAME", help="models to build (default: all)")
    p.add_argument("--out", type=Path, default=Path("models/build"), help="build folder")
    p.add_argument("--profile", help="build the models of a catalog profile (e.g. quick)")
    p.add_argument("--force", action="store_true", help="rebuild models that are current")
    p.add_argument("--no-baseline", action="store_true", help="skip the in-process baseline")
    p.set_defaults(func=_models_build)

    p = zoo.add_parser("push", help="copy built models into a model server's repository")
    p.add_argument("names", nargs="+", metavar="NAME")
    p.add_argument("--protocol", required=True, choices=["tfserving", "v2", "skil"])
    p.add_argument("--repository", type=Path, help="model repository (tfserving, v2)")
    p.add_argument(
        "--base-path",
        help="tfserving: base_path prefix written to models.config "
        "(default: the repository's absolute path)",
    )
    p.add_argument("--url", help="skil: the SKIL server, e.g. http://127.0.0.1:9008")
    p.add_argument("--deployment", default="benchmark", help="skil: deployment name")
    p.add_argument("--out", type=Path, default=Path("models/build"), help="build folder")
    p.set_defaults(func=_models_push)
    p = commands.add_parser("serve", help="run the reference model server (SKIL, TF Serving, V2)")
    p.add_argument(
        "--engine",
        choices=["reference", "kserve"],
        default="reference",
        help="reference: ipsbench's own server; kserve: KServe's ModelServer",
    )
    p.add_argument("--models", type=Path, default=Path("models/build"), help="built zoo folder")
    p.add_argument(
        "--model",
        dest="only",
        action="append",
        default=[],
        metavar="NAME",
        help="serve only this zoo model (repeatable; default: every built model)",
    )
    p.add_argument("--no-zoo", action="store_true", help="serve only the --synthetic models")
    p.add_argument(
        "--synthetic",
        action="append",
        default=[],
        metavar="SPEC",
        help="a synthetic model, e.g. name=calib,service_ms=5,slots=4"
        "[,stall_every_s=10,stall_s=1][,input=1] (repeatable)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9008)
    p.add_argument("--workers", type=int, default=0, help="compute threads (default: one per core)")
    p.add_argument(
        "--max-batch",
        type=int,
        default=0,
        help="dynamic batching: merge concurrent requests up to N rows (0: off)",
    )
    p.add_argument(
        "--batch-timeout-us",
        type=int,
        default=500,
        help="dynamic batching: longest wait for a batch to fill, in µs",
    )
    p.add_argument("--max-body-mb", type=float, default=64.0, help="largest request body")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path(".ipsbench-server"),
        help="where SKIL uploads are stored",
    )
    p.add_argument("--token-ttl-s", type=float, default=3600.0, help="SKIL token lifetime")
    p.add_argument("--access-log", action="store_true", help="log every request (slows the server)")
    p.set_defaults(func=_serve)

    p = commands.add_parser("run", help="the main job: measure IPS over steps of concurrent users")
    p.add_argument(
        "--target",
        default="",
        help="model server URL(s), comma-separated "
        "(default: start the reference server on loopback)",
    )
    p.add_argument("--protocol", default="v2", help="tfserving, v2 or skil (default v2)")
    p.add_argument("--models", default="", help="models, comma-separated (default: the profile's)")
    p.add_argument("--batch", type=int, default=1, help="rows per request")
    p.add_argument(
        "--users", default="", help="users per step, e.g. 1,2,4,8 or 1-32 (default: the profile's)"
    )
    p.add_argument("--app-servers", type=int, default=1, help="Locust worker processes (default 1)")
    p.add_argument("--warmup", type=float, help="seconds of warm-up per step")
    p.add_argument("--window", type=float, help="seconds per measurement window")
    p.add_argument("--min-windows", type=int, help="windows before a step may end as stable")
    p.add_argument("--max-windows", type=int, help="windows after which an unstable step ends")
    p.add_argument("--results", type=Path, default=Path("reports"), help="where run folders go")
    p.add_argument("--run-id", default="", help="the run folder's name (default: the start time)")
    p.add_argument("--profile", default="quick", help="quick (default) or full")
    p.add_argument("--binary", action="store_true", help="V2: Triton binary tensors")
    p.add_argument("--timeout", type=float, default=30.0, help="request timeout in seconds")
    p.add_argument("--resume", type=Path, help="continue a run folder, skipping finished steps")
    p.add_argument("--models-dir", type=Path, default=Path("models/build"), help="built zoo folder")
    p.add_argument(
        "--input-shape", default="", help="row shape of a model not in the zoo, e.g. 100"
    )
    p.add_argument("--deployment", default="benchmark", help="SKIL deployment")
    p.add_argument(
        "--server-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra option for the embedded reference server (repeatable), e.g. --server-arg=--max-batch=32",
    )
    p.add_argument(
        "--external-workers",
        type=int,
        default=0,
        metavar="N",
        help="a fleet: start no workers, wait for N started elsewhere (locust --worker)",
    )
    p.add_argument(
        "--master-bind-host", default="127.0.0.1", help="where the Locust master listens"
    )
    p.add_argument(
        "--master-port",
        type=int,
        default=0,
        help="the master's port (default: any free one; give one for a fleet, e.g. 5557)",
    )
    p.add_argument(
        "--check-min-ips", type=float, help="exit 3 when a model's best stable IPS is lower"
    )
    p.add_argument("--check-max-p99-ms", type=float, help="exit 3 when any step's p99 is higher")
    p.add_argument(
        "--check-max-error-rate", type=float, help="exit 3 when any step's error rate is higher"
    )
    p.set_defaults(func=_run)

    p = commands.add_parser("report", help="write report.html (and PNG figures) for a run folder")
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    p.add_argument(
        "--png",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write figures/*.png (default: when a Chromium is installed)",
    )
    p.set_defaults(func=_report)

    p = commands.add_parser("compare", help="overlay runs and compare peak IPS and p99 per model")
    p.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN_DIR")
    p.add_argument("--out", type=Path, help="folder for compare.html (default: the first run's)")
    p.add_argument("--force", action="store_true", help="compare even when the runs' models differ")
    p.set_defaults(func=_compare)

    p = commands.add_parser("system", help="the environment metadata every run records")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_system)
    return parser


def _report(args: argparse.Namespace) -> int:
    from ipsbench.report.build import write_report

    print(write_report(args.run_dir, png=args.png))
    return 0


def _compare(args: argparse.Namespace) -> int:
    from ipsbench.report.compare import compare_runs

    return compare_runs(args.run_dirs, args.out, force=args.force)


def _system(args: argparse.Namespace) -> int:
    from ipsbench.system import collect_system, describe_system

    data = collect_system()
    print(json.dumps(data, indent=2) if args.json else describe_system(data))
    return 0


def _run(args: argparse.Namespace) -> int:
    from ipsbench.load.plan import parse_list
    from ipsbench.load.run import RunOptions, run

    checks = {
        key: value
        for key, value in (
            ("min-ips", args.check_min_ips),
            ("max-p99-ms", args.check_max_p99_ms),
            ("max-error-rate", args.check_max_error_rate),
        )
        if value is not None
    }
    return run(
        RunOptions(
            targets=parse_list(args.target),
            protocol=args.protocol,
            models=parse_list(args.models),
            batch=args.batch,
            users=args.users,
            app_servers=args.app_servers,
            warmup=args.warmup,
            window=args.window,
            min_windows=args.min_windows,
            max_windows=args.max_windows,
            results=args.results,
            profile=args.profile,
            binary=args.binary,
            timeout=args.timeout,
            resume=args.resume,
            run_id=args.run_id,
            build_dir=args.models_dir,
            input_shape=args.input_shape,
            deployment=args.deployment,
            server_args=args.server_arg,
            checks=checks,
            external_workers=args.external_workers,
            master_bind_host=args.master_bind_host,
            master_port=args.master_port,
        )
    )


def _serve(args: argparse.Namespace) -> int:
    if args.engine == "kserve":
        from ipsbench.server.kserve_launch import serve_kserve

        return serve_kserve(args)
    from ipsbench.server.main import ServeOptions, serve

    return serve(
        ServeOptions(
            build_dir=args.models,
            only=args.only,
            synthetic=args.synthetic,
            no_zoo=args.no_zoo,
            host=args.host,
            port=args.port,
            workers=args.workers,
            max_batch=args.max_batch,
            batch_timeout_us=args.batch_timeout_us,
            max_body_mb=args.max_body_mb,
            data_dir=args.data_dir,
            token_ttl_s=args.token_ttl_s,
            access_log=args.access_log,
        )
    )


def _models_list(args: argparse.Namespace) -> int:
    from ipsbench.zoo.catalog import load_catalog
    from ipsbench.zoo.listing import render_table, zoo_rows

    rows = zoo_rows(load_catalog(args.zoo), args.out)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(render_table(rows))
    return 0


def _models_build(args: argparse.Namespace) -> int:
    from ipsbench.progress import ProgressBar
    from ipsbench.zoo.build import build_models
    from ipsbench.zoo.catalog import load_catalog

    catalog = load_catalog(args.zoo)
    names = list(args.names)
    if args.profile:
        profile = catalog.profile(args.profile)
        if not profile:
            raise UserError(f"no model in the catalog has profile {args.profile!r}")
        names += [m.name for m in profile]
    catalog.select(names)  # fail on an unknown name before TensorFlow loads
    with ProgressBar("building") as bar:
        outcomes = build_models(
            catalog,
            names,
            args.out,
            force=args.force,
            baseline=not args.no_baseline,
            progress=bar.update,
            on_outcome=lambda o: bar.log(_describe_outcome(o)),
        )
    total = sum(o.seconds for o in outcomes)
    bar.log(f"{len(outcomes)} model(s) in {total:.1f} s; manifest: {args.out / 'manifest.json'}")
    return 0


def _describe_outcome(o: Any) -> str:
    text = f"{o.action:>8} {o.name:<10} {o.entry['params']:>12,} params  {o.seconds:6.1f} s"
    base = o.entry.get("baseline")
    if base:
        text += (
            f"  in-process: {base['batch_1']['ips']:,.0f} IPS @1, "
            f"{base['batch_32']['ips']:,.0f} IPS @32"
        )
    return text


def _models_push(args: argparse.Namespace) -> int:
    if args.protocol == "skil":
        if not args.url:
            raise UserError("--protocol skil needs --url (the SKIL server)")
        from ipsbench.protocols.skil_push import push_to_skil

        for line in push_to_skil(args.names, args.url, args.deployment, args.out):
            print(line)
        return 0
    if args.repository is None:
        raise UserError(f"--protocol {args.protocol} needs --repository DIR")
    from ipsbench.zoo.push import push_to_repository

    for folder in push_to_repository(
        args.names, args.protocol, args.repository, args.out, args.base_path
    ):
        print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
