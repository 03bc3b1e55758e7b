"""Child-process measurement: wall time, CPU time, peak RSS of the largest process (wait4's
rusage, which covers the child and every descendant it waited for), and the peak of the
summed RSS and the CPU seconds of the whole process tree (psutil sampling, when psutil is
installed: worker processes that a forkserver or a Dask nanny reaps are not in wait4's
rusage).

The machine is shared: wall time grows with the load of other processes, CPU time much
less.  So one-process rates are judged on CPU seconds (`cpu_s`), and every wall figure is
printed beside the load average."""
from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def bench_env(**extra) -> dict:
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)  # `budgetlens run` must stay local unless asked
    env.update({"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"})
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _sample_tree(pid: int, stop: threading.Event, out: dict, interval: float = 0.05):
    try:
        import psutil
    except ImportError:
        return
    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    peak = 0
    cpu: dict[tuple[int, float], float] = {}  # (pid, create time) -> last seen own user+system
    while not stop.is_set():
        total = 0
        try:
            procs = [root] + root.children(recursive=True)
        except psutil.Error:
            break
        for p in procs:
            try:
                with p.oneshot():
                    total += p.memory_info().rss
                    t = p.cpu_times()
                    cpu[(p.pid, p.create_time())] = t.user + t.system
            except psutil.Error:
                pass
        peak = max(peak, total)
        stop.wait(interval)
    out["tree_peak_mb"] = round(peak / 2**20, 1)
    # a process's last `interval` before it exits is not seen: a lower bound, close for runs of seconds
    out["tree_cpu_s"] = round(sum(cpu.values()), 2)


# Linux keeps a process's peak RSS across exec (signal->maxrss): a command forked from this
# harness, which holds a few hundred MB by the PDF section, reported at least that as its own
# peak (one 137 MB PDF run read 315 MB).  So every measured command is forked by a small
# launcher (a bare Python, ~10 MB), which reports the command's own rusage.
_LAUNCHER = """import os, sys
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(f"{ru.ru_maxrss} {ru.ru_utime!r} {ru.ru_stime!r}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _launched_rusage(path: str, ru) -> tuple[float, float]:
    """(maxrss KiB, user+system s) of the launched command, or of the launcher's tree when
    the launcher could not report."""
    try:
        maxrss, user, system = open(path).read().split()
        return float(maxrss), float(user) + float(system)
    except (OSError, ValueError):
        return float(ru.ru_maxrss), ru.ru_utime + ru.ru_stime


def run_child(cmd: list[str], *, env: dict | None = None, cwd: Path = ROOT, timeout: float = 3600) -> dict:
    """Run `cmd`; {wall_s, cpu_s, tree_cpu_s, rc, maxrss_mb, tree_peak_mb, stdout, stderr, result}.
    `cpu_s` is user + system of the command and the descendants it reaped (exact for one
    process), `maxrss_mb` its own peak (see _LAUNCHER); `tree_cpu_s` sums every process of the
    tree as sampled.  `result` is the JSON after a line starting with 'RESULT ' (what
    benchmarks.worker prints)."""
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe, \
            tempfile.NamedTemporaryFile("r", suffix=".rusage") as fr:
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-S", "-E", "-c", _LAUNCHER, fr.name, *cmd], stdout=fo, stderr=fe,
                             env=env or bench_env(), cwd=cwd, stdin=subprocess.DEVNULL, start_new_session=True)
        stop, tree = threading.Event(), {}
        th = threading.Thread(target=_sample_tree, args=(p.pid, stop, tree), daemon=True)
        th.start()
        timer = threading.Timer(timeout, lambda: os.killpg(p.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
            stop.set()
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        maxrss_kib, cpu = _launched_rusage(fr.name, ru)
        th.join()
        fo.seek(0)
        fe.seek(0)
        out = fo.read().decode("utf-8", "replace")
        err = fe.read().decode("utf-8", "replace")
    result = None
    for line in out.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
            "tree_cpu_s": tree.get("tree_cpu_s"), "rc": p.returncode, "maxrss_mb": round(maxrss_kib / 1024, 1),
            "tree_peak_mb": tree.get("tree_peak_mb"), "stdout": out[-4000:], "stderr": err[-4000:],
            "result": result}


def worker(mode: str, args: dict, *, env: dict | None = None, timeout: float = 3600,
           python: str = PY) -> dict:
    """Run `python -m benchmarks.worker MODE` with `args` (JSON on stdin is avoided: a file)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(args, fh, ensure_ascii=False)
        path = fh.name
    try:
        r = run_child([python, "-m", "benchmarks.worker", mode, path], env=env, timeout=timeout)
    finally:
        os.unlink(path)
    if r["rc"] != 0 or r["result"] is None:
        raise RuntimeError(f"worker {mode} failed (rc {r['rc']}):\n{r['stderr'][-3000:]}")
    return r


def machine() -> dict:
    info = {"cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            # other work on the machine skews every figure, two-worker ones most
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]}
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as fh:
            info["mem_gb"] = round(int(fh.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    try:
        info["git"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                     text=True).stdout.strip()
    except OSError:
        pass
    return info
