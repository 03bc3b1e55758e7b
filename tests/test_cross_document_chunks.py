"""cross_document.check_chunks: the rules over chunks of related documents (what a run does,
reading one chunk's facts at a time) give the flags of check_corpus over the whole corpus,
in the same order."""
from budgetlens.reconcile import check_corpus
from budgetlens.reconcile.cross_document import check_chunks, related_chunks


def _corpus():
    docs, facts = [], []
    n = 0
    for r, region in enumerate(("甲市", "乙市", "丙县")):
        for k, dept in enumerate(("财政局", "教育局", "卫生健康委员会")):
            for year in (2023, 2024):
                for scope, name in (("department", f"{region}{dept}"), ("unit", f"{region}{dept} 直属中心"),
                                    ("unit", f"{region}{dept}机关服务中心")):
                    n += 1
                    doc_id = f"d{n:03d}"
                    docs.append({"doc_id": doc_id, "source": f"{doc_id}.txt", "department": name, "region": region,
                                 "year": year, "doc_kind": "budget", "scope": scope, "status": "ok"})
                    base = 100.0 + 10 * r + k
                    s = f"{year}年机关运行经费{base + year - 2023:.2f}万元，与上年相比增加{1 + r:.2f}万元。"
                    facts += [
                        {"doc_id": doc_id, "kind": "amount", "term": "机关运行经费", "value": base + year - 2023,
                         "unit": "万元", "value_wan": base + year - 2023, "year": year, "origin": "narrative",
                         "sentence": s, "start": 10, "end": 18, "source": f"{doc_id}.txt"},
                        {"doc_id": doc_id, "kind": "comparison", "term": "机关运行经费", "value": 1.0 + r,
                         "unit": "万元", "value_wan": 1.0 + r, "year": year, "base_year": year - 1,
                         "direction": "increase", "origin": "narrative", "sentence": s, "start": 25, "end": 33,
                         "source": f"{doc_id}.txt"},
                        # the 部门's total is below its 单位' sum in some regions
                        {"doc_id": doc_id, "kind": "amount", "term": "本年支出合计",
                         "value_wan": (300.0 if r != 1 else 50.0) if scope == "department" else 100.0 + k,
                         "value": 1.0, "unit": "万元", "year": year, "origin": "narrative", "sentence": "支出合计。",
                         "start": 1, "end": 5, "source": f"{doc_id}.txt"},
                    ]
    return docs, facts


def test_chunks_keep_a_department_with_its_units_and_last_years_disclosure():
    docs, facts = _corpus()
    sizes = {}
    for f in facts:
        sizes[f["doc_id"]] = sizes.get(f["doc_id"], 0) + 1
    chunks = related_chunks(docs, sizes, budget=1)
    assert len(chunks) > 5
    where = {d["doc_id"]: i for i, c in enumerate(chunks) for d in c}
    for d in docs:  # a 部门 and its 单位 (other names), last year's disclosure: one chunk
        for u in docs:
            if d["region"] == u["region"] and d["department"] in u["department"].replace(" ", ""):
                assert where[d["doc_id"]] == where[u["doc_id"]]
    assert sorted(where) == sorted(d["doc_id"] for d in docs)


def test_chunked_flags_are_the_whole_corpus_flags():
    docs, facts = _corpus()
    whole = check_corpus(docs, facts)
    rules = {f.rule for f in whole}
    assert rules == {"last_year.comparison", "department_below_units"}, rules
    sizes = {}
    for f in facts:
        sizes[f["doc_id"]] = sizes.get(f["doc_id"], 0) + 1
    asked = []

    def facts_of(ids):
        asked.append(ids)
        return [f for f in facts if f["doc_id"] in set(ids)]

    for budget in (1, 20, 50, 10_000):
        asked.clear()
        chunked = check_chunks(docs, facts_of, sizes, budget=budget)
        assert [f.as_row() for f in chunked] == [f.as_row() for f in whole]
        assert len(asked) > 1 or budget == 10_000
        assert max(len(a) for a in asked) <= max(9, budget) or budget == 10_000
