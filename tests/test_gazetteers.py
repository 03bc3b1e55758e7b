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


# plain jieba, in a process of its own: its dictionary read from dict.txt (not from a cache
# of jieba's or ours), jieba.posseg's table parsed from it, then the budget words added as
# jieba_tokenizer() adds them; what they hold and how they cut the texts
_PLAIN_JIEBA = r"""
import marshal, sys
import jieba, jieba.posseg as pseg
words_file, texts_file, tmp_dir, out = sys.argv[1:]
tk = jieba.Tokenizer()
tk.tmp_dir = tmp_dir
tk.initialize()
pos = pseg.POSTokenizer(tk)
base = (dict(tk.FREQ), tk.total, dict(pos.word_tag_tab))
with open(words_file, "rb") as fh:
    words, user_freq = marshal.load(fh)
for w in words:
    tk.add_word(w, user_freq, "nz")
with open(texts_file, "rb") as fh:
    texts = marshal.load(fh)
cuts = [(list(tk.cut(t)), list(tk.cut(t, HMM=False)), list(tk.cut(t, cut_all=True)), list(tk.cut_for_search(t)),
         [tuple(p) for p in pos.cut(t)], [tuple(p) for p in pos.cut(t, HMM=False)]) for t in texts]
with open(out, "wb") as fh:
    marshal.dump((base, (tk.FREQ, tk.total, pos.word_tag_tab), cuts), fh)
"""


def _jieba_texts() -> list[str]:
    """Real sentences: every line of the seeds in samples/ and every example text of the
    extractor and reconcile corpora (sentences of the real PDFs)."""
    texts = [ln for p in SAMPLES for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()]
    for folder in (ROOT / "extractors" / "corpus", ROOT / "budgetlens" / "reconcile" / "corpus"):
        for path in sorted(folder.glob("*.yaml")):
            texts += [str(e["text"]) for e in (g.yaml.safe_load(path.read_text(encoding="utf-8")) or {})
                      .get("examples") or [] if isinstance(e, dict) and e.get("text")]
    return list(dict.fromkeys(texts))


@pytest.fixture(scope="module")
def plain_jieba(tmp_path_factory):
    import marshal
    import subprocess
    import sys

    d = tmp_path_factory.mktemp("plain-jieba")
    texts = _jieba_texts()
    (d / "words").write_bytes(marshal.dumps((list(g._userdict_words()), g._USERDICT_FREQ)))
    (d / "texts").write_bytes(marshal.dumps(texts))
    (d / "cache").mkdir()
    subprocess.run([sys.executable, "-c", _PLAIN_JIEBA, str(d / "words"), str(d / "texts"), str(d / "cache"),
                    str(d / "out")], check=True, capture_output=True, timeout=300)
    base, final, cuts = marshal.loads((d / "out").read_bytes())
    return texts, base, final, cuts


def test_jieba_trie_cache_holds_jiebas_own_dictionary(plain_jieba):
    """The trie cache (as the pipeline reads it, and as built afresh from dict.txt) holds
    what plain jieba loads: its FREQ (every word and prefix, with its frequency), its total
    and jieba.posseg's tag of every word."""
    import jieba

    from budgetlens.gazetteers import jieba_trie

    _, (ref_freq, ref_total, ref_tags), _, _ = plain_jieba
    tk = g.jieba_tokenizer()
    path = g._jieba_cache_path(jieba, tk)
    assert path is not None and path.is_file()
    built = jieba_trie.load(jieba_trie.build(g._jieba_dict_file(jieba, tk)))
    for freq, total, tags in (g._read_jieba_cache(path), built):
        assert isinstance(freq, jieba_trie.TrieFreq) and isinstance(tags, jieba_trie.TrieTags)
        assert total == ref_total
        assert len(freq) == len(ref_freq) and dict(freq.items()) == ref_freq
        assert len(tags) == len(ref_tags) and dict(tags.items()) == ref_tags
        for w in ("公务", "一般公共预算", "B超", "预算拨款支出", "x"):  # words, prefixes, neither
            assert (w in freq, freq.get(w), tags.get(w, "x")) == (w in ref_freq, ref_freq.get(w), ref_tags.get(w, "x"))


def test_jieba_trie_cuts_and_tags_as_plain_jieba(plain_jieba):
    """jieba over the trie dictionary with the budget words (jieba_tokenizer,
    jieba_pos_tokenizer) cuts every real sentence as plain jieba with the same words does,
    HMM on and off, in every mode, and tags it alike; afterwards FREQ, total and the tag
    table (the words added at run time and the user tags merged by jieba.posseg) are equal."""
    from budgetlens.gazetteers import jieba_trie

    texts, _, (ref_freq, ref_total, ref_tags), ref_cuts = plain_jieba
    assert len(texts) > 1000
    pos = g.jieba_pos_tokenizer()
    tk = g.jieba_tokenizer()
    assert pos.tokenizer is tk and isinstance(tk.FREQ, jieba_trie.TrieFreq)
    assert isinstance(pos.word_tag_tab, jieba_trie.TrieTags)
    for text, ref in zip(texts, ref_cuts, strict=True):
        cuts = (list(tk.cut(text)), list(tk.cut(text, HMM=False)), list(tk.cut(text, cut_all=True)),
                list(tk.cut_for_search(text)),
                [tuple(p) for p in pos.cut(text)], [tuple(p) for p in pos.cut(text, HMM=False)])
        assert cuts == tuple(ref), text
    assert tk.total == ref_total
    assert tk.FREQ == ref_freq and pos.word_tag_tab == ref_tags


def _dict_file(tmp_path, text: str) -> Path:
    path = tmp_path / "dict.txt"
    path.write_bytes(text.encode("utf-8"))
    return path


def test_jieba_trie_maps_like_jiebas_dicts(tmp_path):
    """TrieFreq/TrieTags behave as the dicts jieba builds from the same file (gen_pfdict and
    load_word_tag), for reading and for the changes jieba makes at run time."""
    import io
    import marshal

    import jieba
    import jieba.posseg as pseg

    from budgetlens.gazetteers import jieba_trie

    text = "预算 30 n\n预算拨款 5 n\n一般 200 a\n预算 7 vn\nB超 3 n\n"  # a word twice: the later line wins
    ref_freq, ref_total = jieba.Tokenizer.gen_pfdict(io.BytesIO(text.encode()))
    ref_pos = pseg.POSTokenizer.__new__(pseg.POSTokenizer)
    ref_pos.load_word_tag(io.BytesIO(text.encode()))
    freq, total, tags = jieba_trie.load(jieba_trie.build(_dict_file(tmp_path, text)))
    assert total == ref_total == 245
    assert freq == ref_freq and dict(freq) == ref_freq and tags == ref_pos.word_tag_tab
    assert freq["预算拨"] == 0 and "预算拨" not in tags and tags["预算"] == "vn" and freq["预算"] == 7
    for key in ("", "预算拨款支出", "b超", 3, None, "\ud800"):
        assert key not in freq and freq.get(key, -1) == -1 and tags.get(key) is None
        with pytest.raises(KeyError):
            freq[key]
    # what jieba changes: add_word's word and prefixes, del_word's 0, posseg's merged user tags
    for mapping, ref, changes in ((freq, dict(ref_freq), {"预算": 0, "公用经费": 9, "公用": 0, "公": 0}),
                                  (tags, dict(ref_pos.word_tag_tab), {"预算": "nz", "公用经费": "nz"})):
        mapping.update(changes)
        ref.update(changes)
        assert mapping == ref and len(mapping) == len(ref) and sorted(mapping) == sorted(ref)
        del mapping["预算"], ref["预算"]
        del mapping["公用经费"], ref["公用经费"]
        assert mapping == ref and len(mapping) == len(ref) and "预算" not in mapping and mapping.get("预算") is None
        with pytest.raises(KeyError):
            del mapping["预算"]
    data = jieba_trie.build(_dict_file(tmp_path, text))
    wide = "甲 -5 n\n乙 70000 n\n丙乙 5000000000 n\n"  # frequencies of any size in 64 bits
    assert jieba_trie.load(jieba_trie.build(_dict_file(tmp_path, wide)))[:2] == jieba.Tokenizer.gen_pfdict(
        io.BytesIO(wide.encode()))
    assert jieba_trie.load(b"not a cache") is None and jieba_trie.load(data[:-100]) is None
    *head, tags_code, tag_numbers, names = marshal.loads(data)
    for numbers in (bytes([len(names) + 1]) * len(tag_numbers), tag_numbers[:-1]):  # no tag; one short
        assert jieba_trie.load(marshal.dumps((*head, tags_code, numbers, names))) is None
    assert jieba_trie.load(marshal.dumps((*head, tags_code, tag_numbers, names))) == jieba_trie.load(data)


@pytest.mark.parametrize("text", ["预算 30 n\n\n一般 2 a\n", "预算 30\n", "预算 30 n x\n", " 30 n\n", "预算 三十 n\n",
                                  f"预算 {2 ** 70} n\n"],
                         ids=["empty line", "no tag", "four fields", "no word", "no number", "huge number"])
def test_jieba_trie_leaves_odd_dictionaries_to_jieba(tmp_path, text):
    """A dict.txt that jieba's two loaders would read otherwise than line by line as three
    fields (or refuse), or with a frequency no 64-bit array holds: no trie, jieba reads it."""
    from budgetlens.gazetteers import jieba_trie

    assert jieba_trie.build(_dict_file(tmp_path, text)) is None


def test_jieba_cache_write_failure_is_harmless(tmp_path):
    """A temp folder that cannot be written: no cache file and no error."""
    path = tmp_path / "missing" / "budgetlens-jieba.trie"
    g._write_jieba_cache(path, b"data")
    assert not path.exists() and not path.parent.exists()
    assert g._read_jieba_cache(path) is None
