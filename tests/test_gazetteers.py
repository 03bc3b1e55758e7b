"""The vocabulary data in gazetteers/: classification codes, terms, templates, jieba dictionary.

Code/name pairs are checked against what real documents publish: the seed tables in
samples/ (always) and the PDFs in ../shared/real (marked `real`, skipped when absent).
"""
from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest

import budgetlens.gazetteers as g

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples").glob("*.txt"))
REAL = ROOT.parent / "shared" / "real"


# ── structure ────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("codes", [g.functional_codes, g.economic_codes], ids=["functional", "economic"])
def test_parent_exists_and_prefix_matches(codes):
    c = codes()
    assert c
    for code, spec in c.items():
        assert re.fullmatch(r"\d{3}|\d{5}|\d{7}", code), code
        assert spec["name"] and not re.search(r"\s", spec["name"]), code
        if len(code) == 3:
            assert spec["parent"] is None and spec["level"] == "类"
        else:
            parent = spec["parent"]
            assert parent in c, f"{code} {spec['name']}: parent {parent} missing"
            assert code.startswith(parent) and len(parent) == len(code) - 2
            assert spec["level"] == {5: "款", 7: "项"}[len(code)]
        for f in spec["former_names"]:
            assert f["name"] and 2000 < int(f["until"]) < 2100, code
        if spec["since"] and spec["until"]:
            assert spec["since"] <= spec["until"]


@pytest.mark.parametrize("codes", [g.functional_codes, g.economic_codes], ids=["functional", "economic"])
def test_names_unique(codes):
    """Among the codes in force, names are unique under one parent (类: within one
    classification system).  Not across parents: 行政运行 is the 01 item of most 款, and
    21906/21301 are both 农业农村 in the official catalogue."""
    c = {k: v for k, v in codes().items() if not v["until"]}
    siblings = collections.defaultdict(list)
    for _code, spec in c.items():
        siblings[(spec["parent"] or spec.get("system"), spec["level"])].append(spec["name"])
    for key, names in siblings.items():
        dup = [n for n, k in collections.Counter(names).items() if k > 1]
        assert not dup, f"duplicate names under {key}: {dup}"


def test_known_entries_and_renames():
    f, e = g.functional_codes(), g.economic_codes()
    assert f["201"]["name"] == "一般公共服务支出"
    assert f["20140"]["name"] == "信访事务" and f["2014001"]["name"] == "行政运行"
    assert f["2014001"]["parent"] == "20140"
    for code in ["201", "204", "205", "206", "207", "208", "210", "211", "212", "213", "220", "221", "224", "229"]:
        assert code in f
    outdated = g.outdated_names()
    assert {"code": "210", "current": "卫生健康支出", "until": 2018, "classification": "functional"} in outdated["医疗卫生与计划生育支出"]
    assert outdated["文化体育与传媒支出"][0]["code"] == "207"
    assert outdated["国土海洋气象等支出"][0]["code"] == "220"
    assert e["30231"]["name"] == "公务用车运行维护费" and e["30231"]["system"] == "department"
    assert e["501"]["system"] == "government"
    idx = g.functional_name_index()
    assert idx["信访事务"][0] == "20140"
    assert "2014001" in idx["行政运行"]
    assert "30213" in g.economic_name_index()["维修(护)费"]


# ── verification against published tables ───────────────────────────────────────────

def _names(spec) -> set[str]:
    out = set()
    for n in [spec["name"], *spec["aliases"], *(f["name"] for f in spec["former_names"])]:
        out |= {n, n.replace("（", "(").replace("）", ")")}
    return out


def _check_pairs(pairs):
    f, e = g.functional_codes(), g.economic_codes()
    bad = []
    for code, name, where in pairs:
        codes = f if code.startswith("2") else e
        if code not in codes:
            bad.append(f"{where}: {code} {name} missing")
        elif name not in _names(codes[code]):
            bad.append(f"{where}: {code} {name!r} not among {sorted(_names(codes[code]))}")
    assert not bad, "\n".join(bad)


def _seed_pairs():
    pairs, class_names = [], []
    for p in SAMPLES:
        lines = p.read_text(encoding="utf-8").split("\n")
        for i, line in enumerate(lines[:-1]):
            m = re.match(r"^\t((?:2|3|5)\d{2}(?:\d{2}){0,2})\s*$", line)
            nxt = lines[i + 1]
            if m and nxt.startswith("\t") and re.search(r"[\u4e00-\u9fff]", nxt):
                pairs.append((m.group(1), re.sub(r"\s+", "", nxt), p.name))
            m = re.match(r"^\t[一二三四五六七八九十]+、(\S+支出)\s*$", line)
            if m:
                class_names.append((m.group(1), p.name))
    return pairs, class_names


def test_seed_table_pairs_present():
    pairs, class_names = _seed_pairs()
    assert len(pairs) >= 30  # seed 000: 功能分类 rows of the 支出表 and 经济分类 rows of the 基本支出表
    _check_pairs(pairs)
    lei = set().union(*(_names(v) for v in g.functional_codes().values() if v["level"] == "类"))
    missing = [(n, w) for n, w in class_names if n not in lei]
    assert not missing, missing


def _pdf_pairs():
    """Rows `code name amount` in the text layer of the real PDFs, codes written whole
    (2010101) or by column (201 01 01).  Rows whose name wraps onto the next line have no
    amount on the line and are skipped, so truncated names are not compared."""
    import pypdfium2 as pdfium

    row = re.compile(r"(?<![\d,.])((?:2|3|5)\d{2})(?: (\d{2}))?(?: (\d{2}))? ([^\d\s,.][^\d]*?) -?[\d,]+(?:\.\d+)?(?=\s|$)")
    pairs = []
    for pdf in sorted(REAL.glob("*.pdf")):
        doc = pdfium.PdfDocument(str(pdf))
        try:
            for i in range(len(doc)):
                page = doc[i]
                tp = page.get_textpage()
                text = tp.get_text_range()
                tp.close()
                page.close()
                for line in text.splitlines():
                    for m in row.finditer(line):
                        code = m.group(1) + (m.group(2) or "") + (m.group(3) or "")
                        name = m.group(4).replace(" ", "")
                        if len(code) == 3 and (re.match(r"[万元名人个]", name) or not re.search(r"(支出|补助|资本|基金|费)$", name)):
                            continue  # "274 名…" etc. in prose
                        pairs.append((code, name, f"{pdf.name[:4]} p{i + 1}"))
        finally:
            doc.close()
    return pairs


@pytest.mark.real
@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real not present")
def test_real_pdf_pairs_present():
    pairs = _pdf_pairs()
    assert len({(c, n) for c, n, _ in pairs}) >= 100
    _check_pairs(pairs)


# ── terms, templates ─────────────────────────────────────────────────────────────────

def test_terms_parents_and_categories():
    t = g.terms()
    for name, spec in t.items():
        assert spec["category"], name
        if spec["parent"]:
            assert spec["parent"] in t, f"{name}: parent {spec['parent']} is not a term"
    assert t["公务接待费"]["parent"] == "三公经费"
    assert t["三公经费"]["fact_parent"] == "三公"
    assert t["公务用车运行维护费"]["parent"] == "公务用车购置及运行维护费"
    idx = g.term_index()
    assert idx["机关运行费"] == "机关运行经费"
    assert idx["公务用车运维费"] == "公务用车运行维护费"
    assert idx["因公出国(境)费"] == "因公出国（境）费"
    assert idx["“三公”经费"] == "三公经费"
    for w in ["编制人数", "实有人数", "在职人员", "离退休人员", "外聘人员", "见习岗", "话务员", "保安", "保洁", "值班人员", "安保和保洁人员"]:
        assert w in idx and t[idx[w]]["unit_kind"] == "count", w
    u = g.units()
    assert u["名"]["canonical"] == "人" and u["人次"]["kind"] == "count" and u["元"]["factor_wan"] == 0.0001


def test_templates_reference_known_table_types():
    types = g.table_types()
    tpl = g.templates()
    assert {"national_budget", "national_final_account"} <= set(tpl)
    for key, spec in tpl.items():
        assert spec["doc_kind"] in ("budget", "final_account"), key
        refs = list(spec.get("required_tables") or []) + list(spec.get("optional_tables") or [])
        refs += list((spec.get("match") or {}).get("any_table_types") or [])
        unknown = [r for r in refs if r not in types]
        assert not unknown, f"{key}: unknown table types {unknown}"
        for sec in spec.get("required_sections") or []:
            assert sec["name"] and sec["patterns"]
            for p in sec["patterns"]:
                re.compile(p)
        for p in spec.get("empty_note_patterns") or []:
            re.compile(p)
    assert len(tpl["national_budget"]["required_tables"]) == 9


def test_templates_find_seed_sections_and_empty_notes():
    text = (ROOT / "samples" / "000_3d763aca435f5d08.txt").read_text(encoding="utf-8")
    headings = [re.sub(r"\[bookmark:[^\]]*\]|\s", "", ln) for ln in text.splitlines() if "_Toc_3_3" in ln]
    spec = g.templates()["national_budget"]
    missing = [s["name"] for s in spec["required_sections"]
               if not any(re.search(p, h) for h in headings for p in s["patterns"])]
    assert not missing, missing
    notes = [ln for ln in text.splitlines() if ln.startswith("注：") and "采购目录" not in ln]
    assert notes and all(any(re.search(p, n) for p in spec["empty_note_patterns"]) for n in notes)


# ── jieba ────────────────────────────────────────────────────────────────────────────

def test_jieba_userdict_lines_format():
    lines = g.jieba_userdict_lines()
    assert len(lines) > 500
    for ln in lines:
        word, freq, pos = ln.split(" ")
        assert word and int(freq) > 0 and pos == "nz"
    words = {ln.split(" ")[0] for ln in lines}
    assert {"公务用车运行维护费", "机关运行经费", "因公出国（境）费", "因公出国(境)费", "行政运行"} <= words


def test_jieba_keeps_budget_terms_whole(tmp_path):
    import jieba

    text = ("2024年因公出国（境）费0万元，公务用车运行维护费11.80万元，因公出国(境)费用持平；"
            "机关运行经费95.17万元，“三公”经费12.30万元。")
    tokens = g.jieba_cut(text)
    assert "".join(tokens) == text
    for w in ["因公出国（境）费", "因公出国(境)费用", "公务用车运行维护费", "机关运行经费", "“三公”经费"]:
        assert w in tokens, (w, tokens)
    # the plain user dictionary through jieba's own loader: words without brackets stay whole
    path = tmp_path / "userdict.txt"
    path.write_text("\n".join(g.jieba_userdict_lines()) + "\n", encoding="utf-8")
    tk = jieba.Tokenizer()
    tk.load_userdict(str(path))
    plain = list(tk.cut("公务用车运行维护费11.80万元，机关运行经费95.17万元"))
    assert "公务用车运行维护费" in plain and "机关运行经费" in plain


def test_jieba_dictionary_and_tags_are_jiebas_own():
    """The dictionary and the compact POS tag table (loaded from budgetlens' cache, or built
    and cached) hold what jieba itself loads: a fresh jieba.Tokenizer's FREQ and total and a
    fresh POSTokenizer's tag of every word, and the two tag a text alike."""
    import jieba.posseg as pseg

    pos = g.jieba_pos_tokenizer()
    tk = g.jieba_tokenizer()
    assert pos.tokenizer is tk
    ref_tk = jieba_fresh_tokenizer()
    path = g._jieba_cache_path(__import__("jieba"), tk)
    assert path is not None and path.is_file()
    freq, total, tags = g._read_jieba_cache(path)
    assert total == ref_tk.total and freq == ref_tk.FREQ
    ref = pseg.POSTokenizer(ref_tk)
    assert tags == ref.word_tag_tab
    for w in g._userdict_words():  # the budget words, as the pipeline adds them
        ref_tk.add_word(w, g._USERDICT_FREQ, "nz")
    assert tk.total == ref_tk.total and tk.FREQ == ref_tk.FREQ
    text = ("2024年一般公共预算财政拨款支出1234.56万元，比上年增加12.3万元，主要原因是新增信息化建设项目；"
            "因公出国（境）费0万元，公务用车运行维护费11.80万元，机关运行经费95.17万元。张三同志负责。")
    assert [(w.word, w.flag) for w in pos.cut(text)] == [(w.word, w.flag) for w in ref.cut(text)]
    assert pos.word_tag_tab == ref.word_tag_tab  # the budget words' tag (nz) merged into both


def jieba_fresh_tokenizer():
    import jieba

    tk = jieba.Tokenizer()
    tk.initialize()
    return tk
