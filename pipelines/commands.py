"""`budgetlens crawl`, `budgetlens process`, `budgetlens serve` — each reads
`--config PATH` (default ./budgetlens.toml).

Without a Prefect server configured (`PREFECT_API_URL`), crawl and process run
in-process (`--orchestrator local`, no Prefect import); with one, or when asked
(`--orchestrator prefect`, `--runner dask`), they run as Prefect flows."""
from __future__ import annotations

import os
import signal
import sys
from dataclasses import asdict
from pathlib import Path

# Each command imports the crawler, the engine and the store inside its function, as the
# commands of cli.py do: building the parser (`budgetlens --help`) imports none of them.


def _config(args):
    from budgetlens.crawler.config import ConfigError, load_config

    try:
        return load_config(args.config)
    except ConfigError as exc:
        print(f"budgetlens: {exc}", file=sys.stderr)
        return None


def _use_prefect(args) -> bool:
    if getattr(args, "runner", "threads") == "dask":
        return True
    if args.orchestrator == "auto":
        return bool(os.environ.get("PREFECT_API_URL"))
    return args.orchestrator == "prefect"


def cmd_crawl(args) -> int:
    from budgetlens.crawler.crawl import crawl
    from budgetlens.engine.run import Progress

    config = _config(args)
    if config is None:
        return 2
    if _use_prefect(args):
        from budgetlens.pipelines.flows import crawl_flow, no_heartbeat

        with no_heartbeat():
            s = crawl_flow(config_path=str(Path(args.config).resolve()), quiet=args.quiet)
        line = (f"{s['pages']} pages, {s['documents']} documents: {s['new']} new, {s['not_modified']} not modified, "
                f"{s['unchanged']} unchanged, {s['unsupported']} unsupported, {s['failed']} failed [prefect]")
    else:
        summary = crawl(config, progress=None if args.quiet else Progress(0, args.quiet))
        line = summary.line() + " [local]"
    print(line)
    print(f"raw files and manifest: {config.raw_dir}")
    return 0


def cmd_process(args) -> int:
    from budgetlens.crawler.inputs import process_raw
    from budgetlens.engine.workers import cores
    from budgetlens.store import StorageError, StoreLocked

    config = _config(args)
    if config is None:
        return 2

    try:
        if _use_prefect(args):
            from budgetlens.pipelines.flows import process_with_runner

            s = process_with_runner(str(Path(args.config).resolve()), runner=args.runner,
                                    dask_address=args.dask_address, workers=args.workers or cores(),
                                    force=args.force, batch_size=args.batch_size, quiet=args.quiet)
            mode = f"prefect/{args.runner}"
        else:
            s = asdict(process_raw(config, batch_size=args.batch_size, force=args.force, quiet=args.quiet,
                                   command=f"process {args.config}", workers=args.workers or cores()))
            mode = "local"
    except StoreLocked as exc:
        print(f"budgetlens: {exc}", file=sys.stderr)
        return 3
    except StorageError as exc:  # a full disk, a damaged store: one paragraph, its exit status
        print(f"budgetlens: {exc.message()}", file=sys.stderr)
        return exc.exit_status
    print(f"{s['inputs']} documents: {s['processed']} processed ({s['errors']} errors), {s['skipped']} unchanged "
          f"and skipped; {s['facts']} facts, {s['flags']} flags in {s['seconds']:.1f}s [{mode}]")
    print(f"store: {config.store_path}  report: {s['report']}")
    return 0


def cmd_serve(args) -> int:
    from budgetlens.pipelines.server import ServerSupervisor

    config = _config(args)
    if config is None:
        return 2
    config_path = str(Path(args.config).resolve())
    if args.once:
        from budgetlens.pipelines.flows import cycle_flow, no_heartbeat

        with no_heartbeat():
            out = cycle_flow(config_path=config_path, runner=args.runner, dask_address=args.dask_address,
                             quiet=args.quiet)
        c, p = out["crawl"], out["process"]
        print(f"crawl: {c['documents']} documents ({c['new']} new, {c['not_modified']} not modified, {c['failed']} failed)")
        print(f"process: {p['processed']} processed, {p['skipped']} skipped, {p['flags']} flags")
        print(f"store: {config.store_path}  report: {p['report']}")
        return 0
    supervisor = None
    if not os.environ.get("PREFECT_API_URL"):
        supervisor = ServerSupervisor(config.store_path.parent / "prefect-server.log", port=args.port)
        print(f"starting a local Prefect server on {supervisor.api_url} (log: {supervisor.log_path}) …", flush=True)
        try:
            os.environ["PREFECT_API_URL"] = supervisor.start()
        except RuntimeError as exc:
            print(f"budgetlens: {exc}", file=sys.stderr)
            supervisor.stop()
            return 1

    def _stop(signum, frame):  # a service manager's SIGTERM stops like Ctrl-C: the server goes too
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        from prefect import serve

        from budgetlens.pipelines.flows import build_deployments

        deployments = build_deployments(config_path)
        print(f"serving: {config.schedule.cron} ({config.schedule.timezone}) crawl + process of "
              f"{len(config.sources)} sources → {config.store_path}; Ctrl-C stops", flush=True)
        serve(*deployments)
    except KeyboardInterrupt:
        pass
    finally:
        if supervisor:
            supervisor.stop()
    return 0


def register(sub) -> None:
    def common(p):
        p.add_argument("--config", default="budgetlens.toml", metavar="PATH",
                       help="the TOML config (default ./budgetlens.toml)")
        p.add_argument("--quiet", action="store_true", help="no progress bar")

    def runner(p):
        p.add_argument("--runner", choices=["threads", "dask"], default="threads",
                       help="Prefect task runner: threads (default) or a Dask cluster")
        p.add_argument("--dask-address", default=None, metavar="tcp://HOST:PORT",
                       help="an existing Dask scheduler (default: a local cluster)")
        p.add_argument("--workers", type=int, default=None, metavar="N",
                       help="worker processes (local), threads or local Dask workers (default: the machine's cores)")
        p.add_argument("--batch-size", type=int, default=10, help="documents per task (default 10)")

    c = sub.add_parser("crawl", help="fetch disclosure documents from the configured portals into the raw store")
    common(c)
    c.add_argument("--orchestrator", choices=["auto", "local", "prefect"], default="auto")
    c.set_defaults(func=cmd_crawl)

    p = sub.add_parser("process", help="process new or changed crawled documents into the store")
    common(p)
    runner(p)
    p.add_argument("--orchestrator", choices=["auto", "local", "prefect"], default="auto")
    p.add_argument("--force", action="store_true", help="re-process unchanged documents too")
    p.set_defaults(func=cmd_process)

    s = sub.add_parser("serve", help="run crawl + process on the configured schedule (a local Prefect server "
                                     "unless PREFECT_API_URL is set)")
    common(s)
    runner(s)
    s.add_argument("--once", action="store_true", help="run one crawl + process + report cycle now and exit")
    s.add_argument("--port", type=int, default=None, help="port of the local Prefect server (default: a free one)")
    s.set_defaults(func=cmd_serve)
