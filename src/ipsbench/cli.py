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
    return parser


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
