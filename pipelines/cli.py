"""`budgetlens` command line."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from budgetlens.engine.run import run_job, sequential
from budgetlens.engine.workers import cores
from budgetlens.limits import with_overrides, describe
from budgetlens.store import StoreLocked, Store
from budgetlens import limits as limits_mod
from budgetlens.crawler.config import ConfigError, load_config
from budgetlens.pipelines import commands



def _orchestrator(choice: str) -> str:
    if choice != "auto":
        return choice
    return "prefect" if os.environ.get("PREFECT_API_URL") else "local"


def cmd_run(args) -> int:
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        print(f"budgetlens: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        print(f"budgetlens: cannot write to {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    mode = _orchestrator(args.orchestrator)

    try:
        limits = with_overrides(**{name: getattr(args, name) for name in LIMIT_FLAGS})
    except ValueError as exc:  # a malformed BUDGETLENS_* variable
        print(f"budgetlens: {exc}", file=sys.stderr)
        return 2
    command = "run " + " ".join(args.paths)
    try:
        if mode == "prefect":
            from budgetlens.pipelines.flows import run_with_prefect

            limits_mod.configure(limits)  # tasks run in threads of this process
            summary = run_with_prefect(args.paths, out, batch_size=args.batch_size, quiet=args.quiet,
                                       command=command, skip_known=not args.recompute)
        else:
            summary = run_job(args.paths, out, map_batches=sequential, batch_size=args.batch_size, quiet=args.quiet,
                              command=command, skip_known=not args.recompute, limits=limits,
                              workers=args.workers or cores())
    except StoreLocked as exc:
        print(f"budgetlens: {exc}", file=sys.stderr)
        return 3
    if not args.quiet:
        for source, status, secs, err in summary.per_document:
            t = f"{secs:.2f}s" if secs is not None else "   -  "
            line = f"  {t:>7}  {status:5}  {Path(source).name}"
            if err:
                line += f"  ({err})"
            print(line)
    extra = ""
    if summary.skipped:
        extra += f", {summary.skipped} unchanged since an earlier run (skipped)"
    if summary.duplicates:
        extra += f", {summary.duplicates} duplicates of other inputs"
    print(f"{summary.documents} documents ({summary.errors} errors){extra}, {summary.facts} facts, "
          f"{summary.flags} flags in {summary.seconds:.1f}s [{mode}]")
    print(f"results: {summary.out}  report: {summary.report}")
    return 0


def cmd_export(args) -> int:
    store_path = args.store
    if store_path is None:
        cfg = Path(args.config or "budgetlens.toml")
        if args.config or cfg.is_file():
            try:
                store_path = load_config(cfg).store_path
            except ConfigError as exc:
                print(f"budgetlens: {exc}", file=sys.stderr)
                return 2
        else:
            store_path = "budgetlens-out/budgetlens.duckdb"
    if not Path(store_path).is_file():
        print(f"budgetlens: no store at {store_path}", file=sys.stderr)
        return 2
    store = Store(store_path, read_only=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("documents", "facts", "table_cells", "flags"):
        df = store.table(name)
        if args.format == "csv":
            df.to_csv(out / f"{name}.csv", index=False)
        else:
            df.to_parquet(out / f"{name}.parquet", index=False)
    print(f"exported to {out}")
    return 0


LIMIT_FLAGS = ("max_file_mb", "max_text_file_mb", "max_unzipped_mb", "max_pages", "max_tables",
               "max_text_chars", "max_html_depth", "max_seconds_per_document", "store_wait_seconds")
_LIMIT_HELP = {
    "max_file_mb": "largest input file read, in MB",
    "max_text_file_mb": "largest text dump or HTML file, in MB",
    "max_unzipped_mb": "largest expanded size of a .docx/.xlsx package, in MB (zip bombs)",
    "max_pages": "most pages read from a PDF",
    "max_tables": "most tables in one document",
    "max_text_chars": "most characters of text in one document",
    "max_html_depth": "deepest nesting of HTML elements",
    "max_seconds_per_document": "time allowed for one document (single-process runs)",
    "store_wait_seconds": "how long to wait for another run to release DIR/budgetlens.duckdb",
}


def _limit_flags(parser) -> None:
    """One flag per limit of engine.limits; each also reads BUDGETLENS_<NAME> (the flag wins)."""
    g = parser.add_argument_group("limits (a document over a limit is recorded as an error)")
    for name, flag, default, env in describe():
        typ = int if isinstance(default, int) else float
        g.add_argument(flag, dest=name, type=typ, default=None, metavar="N",
                       help=f"{_LIMIT_HELP.get(name, name)} (default {default}; env {env})")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="budgetlens", description="Check Chinese budget disclosures: narrative against tables.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="process files and folders once and write results to DIR")
    r.add_argument("paths", nargs="+", metavar="PATH")
    r.add_argument("--out", required=True, metavar="DIR")
    r.add_argument("--orchestrator", choices=["auto", "local", "prefect"], default="auto",
                   help="auto: a Prefect flow when PREFECT_API_URL names a server, else in-process (default)")
    r.add_argument("--batch-size", type=int, default=25)
    r.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes (default: the machine's cores; 1 = in this process)")
    r.add_argument("--quiet", action="store_true")
    r.add_argument("--recompute", action="store_true",
                   help="recompute every document, even those unchanged since an earlier run into DIR")
    _limit_flags(r)
    r.set_defaults(func=cmd_run)
    e = sub.add_parser("export", help="write the store's tables as Parquet or CSV")
    e.add_argument("--store", default=None,
                   help="the DuckDB store (default: [store] path of --config, else budgetlens-out/budgetlens.duckdb)")
    e.add_argument("--config", default=None, metavar="PATH", help="read the store path from this config "
                   "(default ./budgetlens.toml when it exists)")
    e.add_argument("--out", required=True)
    e.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    e.set_defaults(func=cmd_export)
    commands.register(sub)  # crawl / process / serve live in their own module
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
