"""Run with the JioNLP environment's Python (benchmarks/.venv-jionlp): JioNLP's
`extract_money` over the same sentences.  Imports nothing from budgetlens.
Usage: python jionlp_worker.py SENTENCES.json REPEAT -> prints RESULT {json}."""
import json
import sys
import time

sentences = json.load(open(sys.argv[1], encoding="utf-8"))
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
t0 = time.perf_counter()
import jionlp as jio  # noqa: E402

extract = getattr(jio, "extract_money", None) or jio.ner.extract_money
t_import = time.perf_counter() - t0
found = []
errors = 0
for i, s in enumerate(sentences):
    try:
        res = extract(s, with_parsing=True)
    except Exception:
        errors += 1
        continue
    for r in res:
        num = (r.get("detail") or {}).get("num")
        try:
            yuan = round(float(num), 2) if isinstance(num, (str, int, float)) else None
        except ValueError:
            yuan = None
        found.append({"i": i, "start": r["offset"][0], "end": r["offset"][1], "text": r["text"], "yuan": yuan,
                      "num": num, "definition": (r.get("detail") or {}).get("definition")})
best = None
for _ in range(reps):
    s0 = time.perf_counter()
    for s in sentences:
        try:
            extract(s, with_parsing=True)
        except Exception:
            pass
    dt = time.perf_counter() - s0
    best = dt if best is None else min(best, dt)
print("RESULT " + json.dumps({"found": found, "seconds": round(best, 5), "sentences": len(sentences),
                              "errors": errors, "import_s": round(t_import, 3),
                              "version": getattr(jio, "__version__", "?")}, ensure_ascii=False), flush=True)
