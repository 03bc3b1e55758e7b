"""`budgetlens` command line."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from budgetlens import limits as limits_mod
from budgetlens.limits import describe, with_overrides
from budgetlens.pipelines import commands

# Start-up: `budgetlens --help` and argument errors import only argparse and the limits.
# Each command imports what it runs inside its function (tests/test_layers.py lists these
# late imports): the engine brings the extractors, the store DuckDB and numpy (pandas and
# pyarrow only for the APIs that return DataFrames, never for `run`: test_layers checks it),
# review Starlette, Pillow and openpyxl, the crawler httpx — ~150 MB and a second that
# neither `--help` nor `run` (review, crawler) needs all of.

# Exit statuses (README, "Limits and failure behaviour").  Documents that fail are rows
# with status "error", not an exit status: a run that finished exits 0.
EXIT_OK = 0
EXIT_USAGE = 2         # bad arguments, an input that does not exist, no store where one is needed
EXIT_LOCKED = 3        # the store is held by another run (after --store-wait-seconds)
EXIT_STORAGE = 4       # the store could not be written (disk full, I/O error, read-only, lost lock, failed
                       # commit): the batch was rolled back, nothing of it marked done; re-run completes it
EXIT_DAMAGED = 5       # the store file is damaged: --rebuild-store
EXIT_EXPORT = 6        # results stored, but a Parquet snapshot or report.html could not be written
EXIT_INCONSISTENT = 7  # check-store: some document's results are incomplete or inconsistent


def _storage_failure(exc) -> int:
    """One paragraph on stderr (what failed, where, space left, what to do); the status."""
    print(f"budgetlens: {exc.message()}", file=sys.stderr)
    return exc.exit_status


def _orchestrator(choice: str) -> str:
    if choice != "auto":
        return choice
    return "prefect" if os.environ.get("PREFECT_API_URL") else "local"


def cmd_run(args) -> int:
    from budgetlens.engine.run import run_job, sequential
    from budgetlens.engine.workers import cores
    from budgetlens.store import StorageError, StoreLocked

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        print(f"budgetlens: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        return _storage_failure(StorageError(f"Writing to the output folder {out}", out, exc,
                                             outcome="Nothing was processed or recorded."))
    mode = _orchestrator(args.orchestrator)

    try:
        limits = with_overrides(**{name: getattr(args, name) for name in LIMIT_FLAGS})
    except ValueError as exc:  # a malformed BUDGETLENS_* variable
        print(f"budgetlens: {exc}", file=sys.stderr)
        return EXIT_USAGE
    command = "run " + " ".join(args.paths)
    try:
        if mode == "prefect":
            from budgetlens.pipelines.flows import run_with_prefect

            limits_mod.configure(limits)  # tasks run in threads of this process
            summary = run_with_prefect(args.paths, out, batch_size=args.batch_size, quiet=args.quiet,
                                       command=command, skip_known=not args.recompute,
                                       rebuild_store=args.rebuild_store)
        else:
            summary = run_job(args.paths, out, map_batches=sequential, batch_size=args.batch_size, quiet=args.quiet,
                              command=command, skip_known=not args.recompute, limits=limits,
                              workers=args.workers or cores(), rebuild_store=args.rebuild_store)
    except StoreLocked as exc:
        print(f"budgetlens: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except StorageError as exc:
        return _storage_failure(exc)
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
    if summary.moved_aside is not None:
        print(f"rebuilt the store; the earlier store file is kept as {summary.moved_aside}; "
              f"{summary.reviews_reimported} review decisions re-imported")
    return EXIT_OK


def cmd_check_store(args) -> int:
    """Integrity of DIR/budgetlens.duckdb (or a store file): every document's rows present,
    `files` consistent with the tables, no orphans; damage found by reading every value."""
    from budgetlens.engine.process import is_transient
    from budgetlens.store import StorageError, Store, StoreLocked

    target = Path(args.dir)
    path = target / "budgetlens.duckdb" if target.is_dir() else target
    if not path.is_file():
        print(f"budgetlens: no store at {path}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with Store(path, read_only=True, wait=args.store_wait_seconds) as store:
            store.verify()
            found = store.integrity()
            n_docs = store.con.execute("SELECT count(*) FROM documents").fetchall()[0][0]
    except StoreLocked as exc:
        print(f"budgetlens: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except StorageError as exc:
        return _storage_failure(exc)
    errors = found.pop("errors")
    found["machine_errors"] = errors[errors["error"].map(is_transient)]
    problems = {
        "incomplete": "documents whose facts, cells or flags are not all stored",
        "duplicate_documents": "documents stored more than once",
        "orphans": "rows whose document is not in `documents`",
        "files_without_document": "`files` entries whose document is missing",
        "files_status": "`files` entries whose status differs from their document's",
        "machine_errors": "documents recorded as errors for a reason about the machine",
    }
    notes = {
        "unverifiable": "documents stored by an older version without row counts (not checkable; --recompute)",
        "without_files": "documents no `files` entry points to (stored by `process` or an older version)",
    }
    bad = 0
    print(f"{path}: {n_docs} documents")
    for key, what in problems.items():
        df = found[key]
        bad += len(df)
        print(f"  {'ok ' if df.empty else 'BAD'}  {len(df):5}  {what}")
        for rec in df.head(args.examples).to_dict("records"):
            print("             " + ", ".join(f"{k}={v}" for k, v in rec.items()))
    for key, what in notes.items():
        if len(found[key]):
            print(f"  note {len(found[key]):5}  {what}")
    if bad:
        print("the same `budgetlens run` command completes the incomplete documents and retries the machine errors "
              "(rows of documents no longer among the inputs stay until --rebuild-store)")
        return EXIT_INCONSISTENT
    print("consistent")
    return EXIT_OK


def cmd_export(args) -> int:
    from budgetlens.crawler.config import ConfigError, load_config
    from budgetlens.review.export import export_reviewed
    from budgetlens.store import ExportError, StorageError, Store
    from budgetlens.store.duck import is_storage_failure

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
    if Path(store_path).is_dir():
        store_path = Path(store_path) / "budgetlens.duckdb"
    if not Path(store_path).is_file():
        print(f"budgetlens: no store at {store_path}", file=sys.stderr)
        return EXIT_USAGE
    if args.reviewed:  # the findings reviewers confirmed, for the audit file
        csv, xlsx, n = export_reviewed(store_path, args.out)
        print(f"{n} confirmed findings: {csv} and {xlsx}")
        return EXIT_OK
    out = Path(args.out)
    try:
        with Store(store_path, read_only=True) as store:
            out.mkdir(parents=True, exist_ok=True)
            for name in ("documents", "facts", "table_cells", "flags"):
                df = store.table(name)
                final = out / f"{name}.{args.format}"
                tmp = out / f".{final.name}.tmp-{os.getpid()}"
                try:
                    if args.format == "csv":
                        df.to_csv(tmp, index=False)
                    else:
                        df.to_parquet(tmp, index=False)
                    os.replace(tmp, final)
                except Exception as exc:
                    tmp.unlink(missing_ok=True)
                    if not is_storage_failure(exc):
                        raise
                    raise ExportError(f"Writing {final}", final, exc, outcome="The store was not changed.") from exc
    except StorageError as exc:
        return _storage_failure(exc)
    print(f"exported to {out}")
    return EXIT_OK


def cmd_review(args) -> int:
    from budgetlens.review import resolve_store, serve
    from budgetlens.review.app import TOKEN_ENV, RefusedToStart, check_bind

    token = args.token or os.environ.get(TOKEN_ENV) or None
    try:
        store = resolve_store(args.store)
        check_bind(args.host, token)
    except FileNotFoundError as exc:
        print(f"budgetlens: {exc}", file=sys.stderr)
        return 2
    except RefusedToStart as exc:
        print(f"budgetlens: {exc.code}", file=sys.stderr)
        return 2
    print(f"budgetlens review: http://{args.host}:{args.port}/ over {store} (Ctrl-C stops)", flush=True)
    serve(store, host=args.host, port=args.port, token=token, reviewer=args.reviewer or "")
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
    r.add_argument("--rebuild-store", action="store_true",
                   help="move DIR/budgetlens.duckdb aside (kept as budgetlens.damaged-<time>.duckdb) and rebuild it "
                        "from the inputs, re-importing the reviewers' decisions from DIR/reviews.jsonl")
    _limit_flags(r)
    r.set_defaults(func=cmd_run)
    c = sub.add_parser("check-store", help="check the results store in DIR: every document's rows present, "
                                           "`files` consistent, no orphans, no damage (exit 0, 5 or 7)")
    c.add_argument("dir", metavar="DIR", help="the output folder of `run` (or a .duckdb file)")
    c.add_argument("--examples", type=int, default=5, help="rows listed per problem (default 5)")
    c.add_argument("--store-wait-seconds", type=float, default=0.0,
                   help="how long to wait for a run holding the store (default 0)")
    c.set_defaults(func=cmd_check_store)
    e = sub.add_parser("export", help="write the store's tables as Parquet or CSV")
    e.add_argument("--store", default=None,
                   help="the DuckDB store (default: [store] path of --config, else budgetlens-out/budgetlens.duckdb)")
    e.add_argument("--config", default=None, metavar="PATH", help="read the store path from this config "
                   "(default ./budgetlens.toml when it exists)")
    e.add_argument("--out", required=True)
    e.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    e.add_argument("--reviewed", action="store_true",
                   help="write the findings reviewers confirmed (with evidence and pages) as CSV and .xlsx")
    e.set_defaults(func=cmd_export)
    v = sub.add_parser("review", help="a local web app to read flags beside their pages and confirm or dismiss them")
    v.add_argument("store", metavar="DIR_OR_STORE", help="a --out folder or its budgetlens.duckdb")
    v.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; any other needs a token)")
    v.add_argument("--port", type=int, default=8765)
    v.add_argument("--token", default=None, help="required for writes; needed to bind a non-loopback address "
                   "(env BUDGETLENS_REVIEW_TOKEN)")
    v.add_argument("--reviewer", default=None, help="name recorded with each decision (default: $USER)")
    v.set_defaults(func=cmd_review)
    commands.register(sub)  # crawl / process / serve live in their own module
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
