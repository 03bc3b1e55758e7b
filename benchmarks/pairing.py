"""`python benchmarks/pairing.py [N ...] [--years Y]`: time `pair_profiles` on a synthetic crawl.

A province whose every unit publishes its narrative and its tables as two files: N units
(default 2,000 and 20,000) give N narrative and N tables profiles, shuffled, with the names
a crawl reads (中共江苏省南京市鼓楼区委办公室 on the cover, 江苏省南京市鼓楼区委办公室 over the
tables; the file names' department beside them), spread over Y years (default 1: all in one
year, the hardest case).  Prints CPU and wall seconds (the machine is shared: wall time grows
with other processes' load, printed beside it) and the pairs found (N when every unit pairs).

No profile is computed and no file read: this times the grouping alone.  Run as a script
(not `-m`) to time another checkout's code: `PYTHONPATH=/work/main python
benchmarks/pairing.py 2000` imports that tree's `budgetlens`; the module timed is printed.

Measured 2026-12-02 on the shared 2-CPU VM (load 3-5).  Before (every pair scored, main
a3fb976): 2,000 units 145.7 CPU-s; 20,000 units ≈ 14,200 CPU-s (3.9 h), extrapolated from
20,000 narratives × 200 tables (141.9 CPU-s, 35.5 µs per pair).  After (the core index):
2,000 units 0.29-0.32 CPU-s; 20,000 units 5.8-6.2 CPU-s (2.7 to propose 61,945 candidates,
1.5 to score them), 3.5 over 3 years.  Every unit pairs in both.
"""
from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

from budgetlens.readers import pairing
from budgetlens.readers.pairing import Profile, pair_profiles

CITIES = ["南京市", "无锡市", "徐州市", "常州市", "苏州市", "南通市", "连云港市", "淮安市", "盐城市", "扬州市",
          "镇江市", "泰州市", "宿迁市"]
DISTRICTS = ["玄武区", "秦淮区", "建邺区", "鼓楼区", "浦口区", "栖霞区", "雨花台区", "江宁区", "六合区", "溧水区",
             "高淳区", "江阴市", "宜兴市", "沛县", "丰县", "睢宁县", "新沂市", "邳州市"]
DEPTS = ["委办公室", "人大常委会办公室", "政协办公室", "人民政府办公室", "发展和改革委员会", "教育局", "科学技术局",
         "工业和信息化局", "公安局", "民政局", "司法局", "财政局", "人力资源和社会保障局", "自然资源和规划局",
         "生态环境局", "住房和城乡建设局", "交通运输局", "水务局", "农业农村局", "商务局", "文化广电和旅游局",
         "卫生健康委员会", "退役军人事务局", "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局",
         "城市管理局", "数据局", "人民法院", "人民检察院", "委组织部", "委宣传部", "委统战部", "委政法委员会"]
NUMERALS = "一二三四五六七八九十"
SCHOOLS = ["中学", "小学", "实验学校", "幼儿园", "人民医院", "中医院", "街道办事处", "社区卫生服务中心"]


def units(n: int, rng: random.Random) -> list[str]:
    """n distinct unit names of one province: its departments, its cities' and its districts'
    departments, then numbered schools, hospitals and street offices."""
    regions = ["江苏省"] + ["江苏省" + c for c in CITIES] + ["江苏省" + c + d for c in CITIES for d in DISTRICTS]
    names = [r + d for r in regions for d in DEPTS]
    k = 1
    while len(names) < n:
        num = NUMERALS[(k - 1) % 10] if k <= 10 else NUMERALS[k // 10 - 1] * (k >= 20) + "十" + NUMERALS[k % 10 - 1]
        names += [r + "第" + num + s for r in regions[1:] for s in SCHOOLS]
        k += 1
    rng.shuffle(names)
    return names[:n]


def crawl(n: int, years: int = 1, seed: int = 0) -> tuple[list[Path], dict[Path, Profile]]:
    """The files and profiles of n units × (narrative, tables), shuffled."""
    rng = random.Random(seed)
    files: list[Path] = []
    profs: dict[Path, Profile] = {}
    for k, name in enumerate(units(n, rng)):
        year = 2026 - k % years
        cover = "中共" + name if "委" in name and rng.random() < 0.5 else name
        for kind, dept, suffix in (("narrative", cover, "部门预算_说明"), ("tables", name, "部门预算_表")):
            p = Path(f"/crawl/{k:06d}_{name}{year}年{suffix}.pdf")
            files.append(p)
            profs[p] = Profile(p, kind, year, dept, name)
    rng.shuffle(files)
    return files, profs


def bench(n: int, years: int) -> dict:
    files, profs = crawl(n, years)
    cpu, wall = time.process_time(), time.perf_counter()
    groups = pair_profiles(files, profs)
    return {"units": n, "files": len(files), "years": years, "cpu_s": time.process_time() - cpu,
            "wall_s": time.perf_counter() - wall, "pairs": sum(len(g) == 2 for g in groups)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="*", type=int, default=[2000, 20000], help="units (narrative + tables each)")
    ap.add_argument("--years", type=int, default=1)
    args = ap.parse_args()
    print(f"pair_profiles of {pairing.__file__}")
    for n in args.n:
        r = bench(n, args.years)
        print(f"  {r['units']:>7,} units ({r['files']:,} files, {r['years']} year(s)): {r['cpu_s']:8.2f} CPU-s "
              f"{r['wall_s']:8.2f} s wall, {r['pairs']:,} pairs  (load {os.getloadavg()[0]:.2f})", flush=True)


if __name__ == "__main__":
    main()
