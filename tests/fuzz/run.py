"""Fuzz the Tika-dump and HTML readers with atheris (`make fuzz`; not part of `make test`).

    python tests/fuzz/run.py [--seconds N] [--target tika|html|all]

Each target runs in a child process for N seconds (default 90) over a seed corpus built
from the samples.  An input is fed through what a run does with such a file:
`readers.read_blocks` (sniffing, limits, decoding, parsing) and
`extractors.build.build_document` (normalisation, sections, sentences, tables).  A
`ReadError` is the expected way to refuse an input; any other exception is a crash.
Crashes are recorded once per (exception type, file:line) under tests/fuzz/crashes/
with the input that caused them, and fuzzing goes on; an input that runs past the
per-input timeout is saved by libFuzzer as `timeout-*` in the same folder.
Turn each into a case in tests/test_fuzz_regressions.py once fixed.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CRASHES = HERE / "crashes"
SUFFIX = {"tika": ".txt", "html": ".html"}


def seed_corpus(target: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for s in sorted((ROOT / "samples").glob("*.txt")):
        text = s.read_text(encoding="utf-8")
        pieces = [text[:3000], text[3000:6000], text[-3000:]]
        for i, p in enumerate(pieces):
            if target == "tika":
                (folder / f"{s.stem}_{i}.txt").write_bytes(p.encode("utf-8"))
                (folder / f"{s.stem}_{i}_gbk.txt").write_bytes(p.encode("gb18030"))
                (folder / f"{s.stem}_{i}_unicode.bin").write_bytes(b"\x00\x01" + p.encode("utf-32-le"))
            else:
                rows = [ln.split("\t") for ln in p.split("\n")]
                html = "<html><head><meta charset='utf-8'></head><body><p>部门预算</p><table>" + "".join(
                    "<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows[:60]) + "</table></body></html>"
                (folder / f"{s.stem}_{i}.html").write_bytes(html.encode("utf-8"))
    if target == "html":
        (folder / "nested.html").write_bytes(b"<div>" * 50 + "<table><tr><td rowspan=3 colspan=2>合计</td></tr></table>".encode())


def child(target: str, seconds: int, corpus: Path) -> None:
    import atheris

    with atheris.instrument_imports(include=["readers", "extractors"]):
        # the readers import their format modules lazily: import them here to instrument them
        import budgetlens.readers.html  # noqa: F401
        import budgetlens.readers.normalize  # noqa: F401
        import budgetlens.readers.textio  # noqa: F401
        import budgetlens.readers.tika  # noqa: F401
        from budgetlens.document.build import build_document
        from budgetlens.readers import ReadError, read_blocks

    CRASHES.mkdir(exist_ok=True)
    seen: set[str] = set()
    work = Path(tempfile.mkdtemp(prefix="fuzz-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    path = work / f"input{SUFFIX[target]}"

    from budgetlens.readers.tika import parse_tika_text

    def one(data: bytes) -> None:
        try:
            if target == "tika" and data[:1] == b"\x00":
                # straight to the parser as Unicode: random bytes rarely survive decoding
                text = atheris.FuzzedDataProvider(data[1:]).ConsumeUnicodeNoSurrogates(len(data))
                build_document(parse_tika_text(text), "fuzz.txt", "txt")
                return
            path.write_bytes(data)
            fmt, blocks = read_blocks(path)
            build_document(blocks, str(path), fmt)
        except ReadError:
            return
        except Exception as exc:  # a crash: record once per place, keep fuzzing
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            sig = f"{type(exc).__name__}@{Path(tb.filename).name}:{tb.lineno}"
            if sig not in seen:
                seen.add(sig)
                name = f"crash-{target}-{sig.replace('@', '-').replace(':', '-')}-{hashlib.sha1(data).hexdigest()[:10]}"
                (CRASHES / (name + SUFFIX[target])).write_bytes(data)
                (CRASHES / (name + ".txt.trace")).write_text(traceback.format_exc(), encoding="utf-8")
                print(f"\nCRASH {sig}: {exc!r} -> {name}", flush=True)

    atheris.Setup([sys.argv[0], f"-max_total_time={seconds}", "-timeout=20", "-rss_limit_mb=3072",
                   "-max_len=65536", f"-artifact_prefix={CRASHES}/timeout-{target}-", "-print_final_stats=1",
                   str(corpus)], one)
    atheris.Fuzz()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=90)
    ap.add_argument("--target", choices=["tika", "html", "all"], default="all")
    ap.add_argument("--child", choices=["tika", "html"])
    ap.add_argument("--corpus")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.seconds, Path(args.corpus))
        return 0
    targets = ["tika", "html"] if args.target == "all" else [args.target]
    before = set(CRASHES.glob("*")) if CRASHES.exists() else set()
    for t in targets:
        corpus = Path(tempfile.mkdtemp(prefix=f"fuzz-corpus-{t}-"))
        seed_corpus(t, corpus)
        print(f"== fuzzing the {t} reader for {args.seconds}s (corpus {corpus})", flush=True)
        subprocess.run([sys.executable, __file__, "--child", t, "--seconds", str(args.seconds), "--corpus", str(corpus)],
                       cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    new = sorted(set(CRASHES.glob("*")) - before) if CRASHES.exists() else []
    print(f"== {len([p for p in new if not p.name.endswith('.trace')])} new crash/timeout inputs in {CRASHES}")
    for p in new:
        print("   ", p.name)
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
