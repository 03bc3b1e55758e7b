"""Benchmark corpus: N Tika text dumps made from the bundled samples, plus the real PDFs.

Each generated document is one of `samples/*.txt` with
* another department (the sample's department name replaced by a region + 信访局 name),
* another year (every year in the text shifted by the same delta, so 上年 comparisons and
  document numbers stay consistent), and
* other amounts (every money figure multiplied by the same integer factor, so table sums,
  narrative totals and percentages stay consistent: x.yz × k is exact in cents).

Deterministic for a given (n, seed); written once to benchmarks/.cache/corpus-<n>-<seed>/.
The real PDFs are read in place from ../shared/real (never copied)."""
from __future__ import annotations

import argparse
import random
from pathlib import Path

import regex

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CACHE = Path(__file__).resolve().parent / ".cache"
REAL = ROOT.parent / "shared" / "real"

# department name of each sample as written in it
SAMPLE_DEPARTMENTS = {
    "000_3d763aca435f5d08.txt": "秦皇岛市海港区信访局",
    "002_12a0a1313b8a7506.txt": "廊坊市信访局",
}

CITIES = {
    "石家庄市": ["长安区", "桥西区", "新华区", "裕华区", "藁城区", "鹿泉区", "栾城区", "正定县"],
    "唐山市": ["路南区", "路北区", "古冶区", "开平区", "丰南区", "丰润区", "曹妃甸区", "滦州市"],
    "秦皇岛市": ["海港区", "山海关区", "北戴河区", "抚宁区", "昌黎县", "卢龙县"],
    "邯郸市": ["邯山区", "丛台区", "复兴区", "峰峰矿区", "肥乡区", "永年区", "武安市"],
    "邢台市": ["襄都区", "信都区", "任泽区", "南和区", "沙河市", "临城县"],
    "保定市": ["竞秀区", "莲池区", "满城区", "清苑区", "徐水区", "涿州市", "定州市"],
    "张家口市": ["桥东区", "桥西区", "宣化区", "下花园区", "万全区", "崇礼区"],
    "承德市": ["双桥区", "双滦区", "鹰手营子矿区", "平泉市", "滦平县"],
    "沧州市": ["新华区", "运河区", "泊头市", "任丘市", "黄骅市", "河间市"],
    "廊坊市": ["安次区", "广阳区", "霸州市", "三河市", "固安县", "香河县"],
    "衡水市": ["桃城区", "冀州区", "深州市", "枣强县", "武邑县"],
}
# a city-level and each district-level department
REGIONS = [c for c in CITIES] + [c + d for c, ds in CITIES.items() for d in ds]
YEAR_DELTAS = {"000_3d763aca435f5d08.txt": [-4, -3, -2, -1, 0, 1],  # 2024 -> 2020..2025
               "002_12a0a1313b8a7506.txt": [-2, -1, 0, 1, 2, 3]}    # 2022 -> 2020..2025
FACTORS = [1, 2, 3, 4, 5, 6, 7, 8, 9]
# The same documents' text with far more factors (`build(distinct_amounts=True)`): their
# tables' amounts are distinct from document to document, as real units' are.  With the 9
# factors above, one table recurs in ~1 of 2 documents (corpus-200-7: 1,267 of 2,697 tables
# repeat an earlier one's cells), so caches keyed by a cell's or a table's text hit far more
# than on real documents; this corpus shows what that flatters.
WIDE_FACTORS = list(range(101, 1101, 5))

YEAR_RE = regex.compile(r"(?<![\d.])(20[0-3]\d)(?![\d.])(?!\s*(?:万元|元))")
# money: a number with exactly two decimals (table cells and narrative), or a number right
# before 万元/元; never a percentage
MONEY_RE = regex.compile(r"(?<![\d.])(\d+)(?:\.(\d+))?(?=\s*(?:万元|元))|(?<![\d.])(\d+)\.(\d{2})(?![\d.%％])")


def _scale(m: regex.Match, k: int) -> str:
    if m.group(3) is not None:
        whole, frac = m.group(3), m.group(4)
    else:
        whole, frac = m.group(1), m.group(2) or ""
    d = len(frac)
    cents = int(whole + frac) if frac else int(whole)
    v = cents * k
    if d == 0:
        return str(v)
    s = str(v).rjust(d + 1, "0")
    return s[:-d] + "." + s[-d:]


def transform(text: str, dept_from: str, dept_to: str, year_delta: int, factor: int) -> str:
    if factor != 1:
        text = MONEY_RE.sub(lambda m: _scale(m, factor), text)
    if year_delta:
        text = YEAR_RE.sub(lambda m: str(int(m.group(1)) + year_delta), text)
    return text.replace(dept_from, dept_to)


def plan(n: int, seed: int = 7, factors: list[int] = FACTORS) -> list[tuple[str, str, int, int]]:
    """(sample, region, year delta, factor) for each of n documents, all distinct."""
    combos = [(s, r, dy, k) for s in SAMPLE_DEPARTMENTS for r in REGIONS
              for dy in YEAR_DELTAS[s] for k in factors]
    rng = random.Random(seed)
    rng.shuffle(combos)
    if n > len(combos):
        raise ValueError(f"at most {len(combos)} distinct documents (asked for {n})")
    return combos[:n]


def build(n: int = 2000, seed: int = 7, cache: Path = CACHE, distinct_amounts: bool = False) -> Path:
    """The folder holding the n documents (built once, reused); `distinct_amounts`: with
    WIDE_FACTORS, so that tables do not recur from document to document."""
    out = cache / (f"corpus-distinct-{n}-{seed}" if distinct_amounts else f"corpus-{n}-{seed}")
    done = out / ".complete"
    if done.exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    texts = {s: (SAMPLES / s).read_text(encoding="utf-8") for s in SAMPLE_DEPARTMENTS}
    for i, (s, region, dy, k) in enumerate(plan(n, seed, WIDE_FACTORS if distinct_amounts else FACTORS)):
        dept = region + "信访局"
        body = transform(texts[s], SAMPLE_DEPARTMENTS[s], dept, dy, k)
        # shard into folders of 500 so a folder listing stays small
        sub = out / f"{i // 500:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"{i:05d}_{dept}.txt").write_text(body, encoding="utf-8")
    done.write_text(f"{n} {seed}\n")
    return out


def real_pdfs() -> list[Path]:
    """The real PDFs, in place (empty when ../shared/real is absent)."""
    if not REAL.is_dir():
        return []
    return sorted(REAL.glob("*.pdf"))


def files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.txt"))


def size_bytes(paths) -> int:
    return sum(Path(p).stat().st_size for p in paths)


def main(argv=None):
    ap = argparse.ArgumentParser(description="build the benchmark corpus")
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    out = build(a.docs, a.seed)
    fs = files(out)
    print(f"{len(fs)} documents, {size_bytes(fs) / 1e6:.1f} MB in {out}; {len(real_pdfs())} real PDFs")


if __name__ == "__main__":
    main()
