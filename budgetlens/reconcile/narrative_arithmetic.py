"""`narrative.arithmetic`: the narrative against itself.

- an itemised list (`拟申请资金100万元，明细如下：1、… 2、…`, `共计32.88万元…包括：A、B…`)
  whose items do not add up to the stated total;
- quantity × rate (× duration) against the stated amount (`住宿费37.5万元，约合750人，
  0.05万元/人`);
- one item stated with two different amounts (facts with the same subject and code).

The list reading works on the text of a paragraph or a table cell (project descriptions
sit in the 绩效目标表's 预算规模及资金用途 cell).  It reads only the structure of a list
(total, marker, items); amounts are read the way facts are.  When `extractors.narrative`
provides `group`ed facts these are checked too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from budgetlens import gazetteers
from budgetlens.document.model import Document
from budgetlens.reconcile import tolerance as tol
from budgetlens.reconcile.evidence import fmt, quote
from budgetlens.reconcile.flags import Flag

FAMILY = "narrative.arithmetic"
V = gazetteers.load("rules/lists")
_COMPLETE = sorted(V["list_markers"]["complete"], key=len, reverse=True)
_PARTIAL = sorted(V["list_markers"]["partial"], key=len, reverse=True)
_MARKER_RE = "|".join(re.escape(m) for m in sorted(_COMPLETE + _PARTIAL, key=len, reverse=True))
NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
MONEY = re.compile(rf"(?P<approx>约|近|超过)?\s*(?P<num>{NUM})\s*(?P<unit>万元|亿元|元)(?!\s*/)(?!\s*每)")
HEADER = re.compile(
    rf"(?P<approx>约|近)?(?P<num>{NUM})\s*(?P<unit>万元|亿元|元)(?P<gap>[，,]\s*(?:主要)?用于[^\d。\n]{{0,40}}。|[^\d\n]{{0,30}}?)(?P<marker>{_MARKER_RE})\s*[:：]?")
NUMBERED = re.compile(r"(?m)^\s*(\d{1,2})\s*[、.．）)]")
RATE = re.compile(
    rf"(?P<per1>(?:每[人月天日次年个间辆台场名])+)?\s*(?:标准)?(?:为)?\s*(?P<num>{NUM})\s*(?P<unit>万元|元)"
    rf"(?:\s*/\s*(?P<per2>[人月天日次年个间辆台场名](?:[·/][人月天日次年])?))?")
QTY = re.compile(rf"(?P<approx>约合?|近)?(?P<num>{NUM})\s*(?P<unit>个房间|房间|个月|人次|人|名|天|日|次|间|辆|台|场|期|月)")
_TO_WAN = {"万元": 1.0, "元": 1e-4, "亿元": 1e4}


@dataclass
class Amount:
    value: float  # in the unit as written
    unit: str
    raw: str
    start: int  # offset within the block
    approx: bool = False

    @property
    def wan(self) -> float:
        return self.value * _TO_WAN[self.unit]

    def figure(self) -> tol.Figure:
        f = tol.figure(self.value, self.raw, unit=self.unit, approx=self.approx)
        return f.scaled(_TO_WAN[self.unit])


@dataclass
class Item:
    text: str
    start: int
    amounts: list[Amount] = field(default_factory=list)
    nested: bool = False  # opens a sublist of the item before it
    signs: list = field(default_factory=list)  # for a change decomposition: +1/−1/0 per amount


def _depth0(text: str) -> str:
    """The text with parenthesised parts blanked (same length, offsets kept)."""
    out, depth = [], 0
    for ch in text:
        if ch in "（(":
            depth += 1
            out.append(" ")
        elif ch in "）)":
            depth = max(0, depth - 1)
            out.append(" ")
        else:
            out.append(" " if depth else ch)
    return "".join(out)


def _is_rate_context(text: str, m: re.Match) -> bool:
    before = text[max(0, m.start() - 4):m.start()]
    after = text[m.end():m.end() + 2]
    return "每" in before or after.lstrip().startswith(("/", "每")) or "标准" in before


_AMT = gazetteers.load("patterns/amounts")
_THRESHOLD_BEFORE = tuple(_AMT["threshold_before"])
_THRESHOLD_AFTER = tuple(_AMT["threshold_after"])


def _is_threshold(text: str, m: re.Match) -> bool:
    """`单价100万元以上设备0台（套）`: a category's threshold, not an amount."""
    before = text[max(0, m.start() - 5):m.start()]
    return before.endswith(_THRESHOLD_BEFORE) or text[m.end():m.end() + 5].startswith(_THRESHOLD_AFTER)


def amounts_in(text: str, offset: int = 0, top_level: bool = True) -> list[Amount]:
    scan = _depth0(text) if top_level else text
    out = []
    for m in MONEY.finditer(scan):
        if _is_rate_context(scan, m) or _is_threshold(text, m):
            continue
        num = float(m.group("num").replace(",", ""))
        approx = bool(m.group("approx")) or bool(re.search(r"约|左右", text[max(0, m.start() - 3):m.end() + 2]))
        out.append(Amount(num, m.group("unit"), text[m.start("num"):m.end()], offset + m.start("num"), approx))
    return out


@dataclass
class ItemList:
    total: Amount
    marker: str
    items: list[Item]
    block_text: str
    block_start: int
    numbered: bool
    partial: bool
    sentence: str
    change: Optional[int] = None  # the total is a change (`减少595.70万元，其中：…`)


CMP = gazetteers.load("rules/comparison")
_INC = [w for w in CMP["increase_words"] if len(w) > 1]
_DEC = [w for w in CMP["decrease_words"] if len(w) > 1]
_FLAT = CMP["flat_words"]


def change_sign(before: str) -> Optional[int]:
    """+1 / −1 when the text right before an amount is a change word (`减少10.48万元`)."""
    b = before.rstrip()
    if any(b.endswith(w) for w in _INC):
        return 1
    if any(b.endswith(w) for w in _DEC):
        return -1
    return None


def find_lists(text: str, block_start: int = 0) -> list[ItemList]:
    found = []
    regions: list[tuple[int, int]] = []
    for h in HEADER.finditer(text):
        gap = h.group("gap")
        if "。" in gap and not gap.rstrip().endswith("。"):
            continue
        if "；" in gap or ";" in gap:
            continue  # `收入…27600.00万元；支出包括：…`: the figure closes the clause before the list
        if re.search(r"[%％]|年|比|较|增|减", gap):  # `较上年增加…，其中` is a comparison, not a list
            continue
        total = Amount(float(h.group("num").replace(",", "")), h.group("unit"), h.group("num") + h.group("unit"),
                       block_start + h.start("num"), bool(h.group("approx")))
        rest = text[h.end():]
        numbered_m = NUMBERED.search(rest[:40]) if rest.lstrip().startswith(("\n", "1", "１")) or "\n" in rest[:3] else None
        items: list[Item] = []
        nested_header = any(a <= h.start() < b for a, b in regions)
        if numbered_m:
            starts = [m for m in NUMBERED.finditer(rest)]
            # the list runs while lines carry list numbers
            segs = []
            for k, m in enumerate(starts):
                end = starts[k + 1].start() if k + 1 < len(starts) else len(rest)
                seg = rest[m.end():end]
                if k + 1 == len(starts):
                    seg = seg.split("\n")[0]
                segs.append((h.end() + m.end(), seg))
            for s0, seg in segs:
                amts = amounts_in(seg, block_start + s0)
                items.append(Item(seg, block_start + s0, amts))
            region = rest[:starts[-1].end() + len(segs[-1][1])] if starts else ""
        else:
            region = _sentence_region(rest, in_paren=gap.count("（") + gap.count("(") > gap.count("）") + gap.count(")"),
                                      stop_at_semicolon=nested_header)
            for s0, seg, nested in _split_inline(region):
                amts = amounts_in(seg, block_start + h.end() + s0)
                items.append(Item(seg, block_start + h.end() + s0, amts, nested))
        marker = h.group("marker")
        partial = marker in _PARTIAL or any(w in marker for w in V["partial_words"]) or \
            bool(re.search(r"等(?:[^\d]{0,6})?[。；;]?\s*$", region.strip()))
        sentence = text[max(0, h.start() - 60):h.end() + len(region)]
        regions.append((h.end(), h.end() + len(region)))
        lst = ItemList(total, marker, items, text, block_start, bool(numbered_m), partial, sentence)
        lst.change = change_sign(text[max(0, h.start() - 6):h.start()])
        if lst.change is not None:
            for it in items:
                it.signs = []
                flat0 = _depth0(it.text)
                for a in it.amounts:
                    k = a.start - it.start
                    sg = change_sign(flat0[max(0, k - 6):k])
                    if sg is None and any(w in it.text for w in _FLAT):
                        sg = 0
                    it.signs.append(sg)
        found.append(lst)
    return found


def _sentence_region(rest: str, in_paren: bool = False, stop_at_semicolon: bool = False) -> str:
    """The list's text: to the end of the sentence, to the closing bracket when the list
    sits inside brackets, to the next `；` when it is itself an item of an outer list."""
    depth = 1 if in_paren else 0
    for i, ch in enumerate(rest):
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth -= 1
            if depth == 0 and in_paren:
                return rest[:i]
            depth = max(0, depth)
        elif depth == 0 and (ch in "。\n" or (stop_at_semicolon and ch in "；;")):
            return rest[:i]
    return rest


def _split_inline(region: str):
    """Items of an inline list at parenthesis depth 0: separated by 、，；; a part that starts
    with a nested marker (其中/包括) and the parts after it up to the next `；` form a sublist."""
    flat = _depth0(region)
    out = []
    pos, nested = 0, False
    for m in re.finditer(r"[、，,；;]|$", flat):
        seg = region[pos:m.start()]
        s = seg.strip()
        if s:
            if any(s.startswith(w) for w in V["nested_markers"]):
                nested = True
            out.append((pos, seg, nested))
        if m.group(0) in ("；", ";"):
            nested = False
        pos = m.end()
        if m.group(0) == "":
            break
    return out


def _blocks(doc: Document):
    """(text, start) of every paragraph and of every table cell with text."""
    for a, b in doc.paragraphs:
        yield doc.text[a:b], a
    for t in doc.tables:
        for r in t.rows:
            for j, c in enumerate(r.cells):
                if len(c) > 12 and ("万元" in c or "元" in c):
                    span = r.spans[j] if j < len(r.spans) else (None, None)
                    yield c, (span[0] if span and span[0] is not None else -1)


def check(doc: Document, facts=None) -> list[Flag]:
    flags: list[Flag] = stated_twice(doc, facts or [])
    seen = set()
    for text, start in _blocks(doc):
        if "万元" not in text and "元" not in text:
            continue
        for lst in find_lists(text, max(start, 0)):
            if lst.total.start in seen:
                continue
            seen.add(lst.total.start)
            f = _check_changes(doc, lst) if lst.change is not None else _check_list(doc, lst)
            if f:
                flags.append(f)
            for it in lst.items:
                g = _check_product(it, lst)
                if g:
                    flags.append(g)
    for lst in _paragraph_breakdowns(doc):
        if lst.total.start in seen or any(it.start in seen for it in lst.items):
            continue
        f = _check_list(doc, lst)
        if f:
            # several breakdowns of one total (按功能分类 / 按用途分类) are distinct findings
            f.start = lst.items[0].start if lst.items else f.start
            f.key = f"breakdown:{lst.total.start}:{f.start}"
            flags.append(f)
    return flags


_OPENER = re.compile(V["breakdown_opener"])
_SIBLING = re.compile(V["breakdown_sibling"])


def _paragraph_breakdowns(doc: Document) -> list[ItemList]:
    """Lists whose total is the one amount of an earlier paragraph: `…支出预算515313.35万元，比上年
    执行数减少10087.38万元…。` then `1.按支出功能分类，包括科学技术支出1140.61万元、…。`"""
    out = []
    paras = [(a, b) for a, b in doc.paragraphs if b > a]
    for k, (a, b) in enumerate(paras):
        text = doc.text[a:b]
        m = _OPENER.match(text)
        if not m or amounts_in(text[:m.start("marker")]):
            continue
        anchor = None
        for j in range(k - 1, max(-1, k - 1 - int(V["breakdown_reach"])), -1):
            pt = doc.text[paras[j][0]:paras[j][1]]
            if _OPENER.match(pt) or (_SIBLING.match(pt) and not amounts_in(pt)):
                continue
            if _SIBLING.match(pt) and j == k - 1:
                break  # a numbered paragraph stating its own amount: not a shared total
            anchor = (pt, paras[j][0])
            break
        if anchor is None:
            continue
        pt, p0 = anchor
        sent_end = min([i for i in (pt.find("。"),) if i >= 0] or [len(pt)])
        flat = _depth0(pt)
        own = [x for x in amounts_in(pt[:sent_end], p0)
               if change_sign(flat[max(0, x.start - p0 - 6):x.start - p0]) is None
               and not re.search(r"(比|较|同比|与).{0,14}$", flat[max(0, x.start - p0 - 16):x.start - p0])]
        if len(own) != 1:
            continue
        region = _sentence_region(text[m.end():])
        items = [Item(seg, a + m.end() + s0, amounts_in(seg, a + m.end() + s0), nested)
                 for s0, seg, nested in _split_inline(region)]
        marker = m.group("marker")
        partial = bool(re.search(r"等(?:[^\d]{0,6})?[。；;]?\s*$", region.strip()))
        lst = ItemList(own[0], marker, items, text, a, False, partial, pt + "\n" + text)
        out.append(lst)
    return out


def _candidate_sums(lst: ItemList) -> Optional[list[tuple[str, list[Amount]]]]:
    top: list[Amount] = []
    allv: list[Amount] = []
    for it in lst.items:
        flat = _depth0(it.text)
        amts = [a for a in it.amounts
                if change_sign(flat[max(0, a.start - it.start - 6):a.start - it.start]) is None
                and not re.search(r"(比|较|同比|与).{0,14}$", flat[max(0, a.start - it.start - 16):a.start - it.start])]
        if lst.numbered and len(amts) > 1:
            return None  # an item with two amounts: which one is its cost is not clear
        allv += amts
        if not it.nested:
            top += amts
    if not top:
        return None
    cands = [("top", top)]
    if len(allv) != len(top):
        cands.append(("all", allv))
    return cands


def _whole(a: Amount) -> bool:
    return not re.search(r"\d[.．]\d", a.raw) and not a.approx


def _check_list(doc: Document, lst: ItemList) -> Optional[Flag]:
    cands = _candidate_sums(lst)
    if not cands or sum(len(c[1]) for c in cands[:1]) < 2:
        return None
    # a list written in whole 万元 throughout (上海 单位预算: 30441 + 5000 + 0 + 5428 = 40869 against
    # 收入预算40870, the tables in 元) is rounded to the unit: each figure stands for ±0.5
    whole = all(_whole(a) for _n, ps in cands for a in ps) and _whole(lst.total)
    fig = (lambda a: tol.figure(a.value, a.raw, decimals=0).scaled(_TO_WAN[a.unit])) if whole else (lambda a: a.figure())
    total = fig(lst.total)
    best = None
    for _name, parts in cands:
        s = tol.total(fig(p) for p in parts)
        if tol.agree(s, total):
            return None
        if best is None or abs(s.value - total.value) < abs(best[1].value - total.value):
            best = (parts, s)
    parts, s = best
    over = s.value > total.value
    if not over and (lst.partial or s.value < 0.8 * total.value):
        return None
    items_txt = "＋".join(fmt(p.value) for p in parts)
    unit = lst.total.unit
    quote_text = quote(_sentence_of(doc, lst) or lst.sentence, 600)
    return Flag(
        FAMILY, "list.sum_vs_total", "error" if over else "warning",
        f"分项金额合计{fmt(s.value / _TO_WAN[unit])}{unit}（{items_txt}）与所述总额{fmt(lst.total.value)}{unit}不一致，"
        f"{'多' if over else '少'}{fmt(abs(s.value - total.value) / _TO_WAN[unit])}{unit}。",
        values=[lst.total.value, round(s.value / _TO_WAN[unit], 6)], stated=lst.total.value,
        expected=round(s.value / _TO_WAN[unit], 6), difference=round((total.value - s.value) / _TO_WAN[unit], 6),
        evidence=[quote_text], start=lst.total.start if lst.block_start >= 0 else None,
        sentence=quote_text, key=f"list:{lst.total.start}:{lst.total.value}",
    )


def _sentence_of(doc: Document, lst: ItemList) -> Optional[str]:
    if lst.numbered or lst.block_start < 0:
        return lst.block_text.strip()
    s = doc.sentence_at(lst.total.start)
    if s is None:
        return None
    # the list may run over several sentences (`…。包括：…`): quote up to the list's end
    end = max((it.start + len(it.text) for it in lst.items), default=s.end)
    a = min(s.start, lst.total.start)
    return doc.text[a:max(end, s.end)]


def _unit_key(u: str) -> Optional[str]:
    for key, words in V["quantity_units"].items():
        if u in words or u == key:
            return key
    return None


def _check_product(it: Item, lst: ItemList) -> Optional[Flag]:
    """Item amount against rate × quantities stated in the same item."""
    if len(it.amounts) != 1:
        return None
    amount = it.amounts[0]
    text = it.text
    rates: dict[tuple, float] = {}
    rate_spans = []
    for m in RATE.finditer(text):
        pers = []
        if m.group("per1"):
            pers = [p for p in m.group("per1").replace("每", " ").split()]
            pers = list(m.group("per1").replace("每", ""))
        elif m.group("per2"):
            pers = re.split(r"[·/]", m.group("per2"))
        if not pers:
            continue
        keys = tuple(sorted(_unit_key(p) or p for p in pers))
        rates[keys] = rates.get(keys, 0.0) + float(m.group("num").replace(",", "")) * _TO_WAN[m.group("unit")]
        rate_spans.append((m.start(), m.end()))
    if len(rates) != 1:
        return None
    (per_keys, rate), = rates.items()
    qtys = []
    for m in QTY.finditer(text):
        if any(a <= m.start() < b for a, b in rate_spans):
            continue
        if re.match(r"\s*(万元|元)", text[m.end():m.end() + 3]):
            continue
        qtys.append((_unit_key(m.group("unit")), float(m.group("num").replace(",", "")), bool(m.group("approx"))))
    used, rest = [], list(qtys)
    for k in per_keys:
        match = [q for q in rest if q[0] == k]
        if len(match) != 1:
            return None
        used.append(match[0])
        rest.remove(match[0])
    approx = amount.approx or any(q[2] for q in qtys) or "约" in text
    stated = tol.figure(amount.wan, amount.raw, unit="万元", approx=approx)
    base = rate
    for q in used:
        base *= q[1]
    products = [base]
    extra = base
    for q in rest:
        extra *= q[1]
        products.append(extra)
    for p in products:
        if tol.agree(stated, tol.Figure(p, 1e-9 if not approx else abs(p) * tol.APPROX_RELATIVE)):
            return None
    if rest:
        return None  # quantities the rate does not name: cannot tell which multiply
    parts = " × ".join([fmt(rate)] + [fmt(q[1]) for q in used])
    return Flag(
        FAMILY, "quantity_times_rate", "error",
        f"“{quote(text.strip(), 60)}”：{parts} = {fmt(base)}万元，与所述金额{fmt(amount.wan)}万元不一致。",
        values=[amount.value, round(base / _TO_WAN[amount.unit], 6)], stated=amount.value,
        expected=round(base / _TO_WAN[amount.unit], 6), difference=round(amount.wan - base, 6),
        evidence=[quote(text.strip())], start=amount.start if lst.block_start >= 0 else None,
        key=f"qxr:{amount.start}:{amount.value}",
    )


def _check_changes(doc: Document, lst: ItemList) -> Optional[Flag]:
    """`较上年减少595.70万元，其中：基本支出增加104.62万元；项目支出减少700.32万元` —
    the signed component changes against the total change (family `comparison`)."""
    terms = []
    for it in lst.items:
        if it.nested:
            continue
        for a, sg in zip(it.amounts, it.signs):
            if sg is None:
                return None
            terms.append((a, sg))
    if len(terms) < 2 or lst.partial and not all(sg is not None for _a, sg in terms):
        return None
    total = lst.total.figure().scaled(lst.change)
    s = tol.Figure(0.0, 0.0)
    for a, sg in terms:
        f = a.figure()
        s = s + (f.scaled(sg) if sg else tol.Figure(0.0, 0.0))
    if tol.agree(s, total):
        return None
    unit = lst.total.unit
    k = _TO_WAN[unit]
    word = lambda v: "增加" if v > 0 else "减少"
    txt = "；".join(f"{'+' if sg > 0 else '−' if sg < 0 else '±'}{fmt(a.value)}" for a, sg in terms)
    quote_text = quote(_sentence_of(doc, lst) or lst.sentence, 600)
    return Flag(
        "comparison", "comparison.components_vs_total", "error",
        f"各组成部分的增减（{txt}）合计{word(s.value)}{fmt(abs(s.value) / k)}{unit}，与所述总变化{word(total.value)}"
        f"{fmt(lst.total.value)}{unit}不一致。",
        values=[lst.total.value, round(abs(s.value) / k, 6)], stated=lst.total.value,
        expected=round(abs(s.value) / k, 6), difference=round((abs(total.value) - abs(s.value)) / k, 6),
        evidence=[quote_text], start=lst.total.start if lst.block_start >= 0 else None, sentence=quote_text,
        key=f"chg_list:{lst.total.start}:{lst.total.value}",
    )


# ── one item stated with two different amounts ──────────────────────────────────────────

TWICE = gazetteers.load("rules/lists")["stated_twice"]


def _twice_key(doc: Document, f) -> Optional[tuple]:
    """What the figure is the amount of: a 功能分类 code (5 or 7 digits), or a term of
    `stated_twice.terms` in one scope (一般公共预算/财政拨款 or all funds)."""
    if f.kind != "amount" or getattr(f, "origin", "narrative") != "narrative" or f.value_wan is None or f.start is None:
        return None
    if f.year and doc.year and f.year != doc.year:
        return None
    if re.search(TWICE["skip_qualifier"], f.qualifier or ""):
        return None
    s = doc.sentence_at(f.start)
    before = doc.text[s.start:f.start] if s is not None else ""
    clause = re.split(r"[，,；;。：:]", before)[-1]
    if re.search(TWICE["skip_clause"], clause):
        return None
    if getattr(f, "role", None) == "item" and f.parent and not f.code:
        return None  # an item of a list: its subject is only meaningful within the list
    code = str(f.code) if getattr(f, "code", None) else None
    if code and code[:1] == "2" and len(code) in (5, 7):
        return ("code", code)
    term = getattr(f, "term", None)
    if term in TWICE["terms"]:
        ctx = (f.sentence or "") + (f.section or "")
        scope = "general" if re.search(TWICE["scope_words"], ctx) else "all"
        return ("term", term, scope)
    return None


def stated_twice(doc: Document, facts) -> list[Flag]:
    groups: dict[tuple, list] = {}
    for f in facts:
        k = _twice_key(doc, f)
        if k:
            groups.setdefault(k, []).append(f)
    flags = []
    for k, fs in groups.items():
        first = fs[0]
        a = tol.figure(first.value_wan, first.raw or str(first.value), unit="万元")
        for g in fs[1:]:
            b = tol.figure(g.value_wan, g.raw or str(g.value), unit="万元")
            if tol.agree(a, b):
                continue
            name = k[1] if k[0] == "term" else (first.subject or k[1])
            flags.append(Flag(
                FAMILY, "amount.stated_twice", "error",
                f"同一事项“{name}”在文中出现两个不同金额：{fmt(first.value)}{first.unit or '万元'}与{fmt(g.value)}{g.unit or '万元'}。",
                values=[first.value, g.value], stated=g.value, expected=first.value,
                difference=round(g.value_wan - first.value_wan, 6),
                evidence=list(dict.fromkeys([quote(first.sentence), quote(g.sentence)])),
                start=g.start, end=g.end, sentence=g.sentence,
                key=f"twice:{k}:{first.start}:{g.start}",
            ))
            flags[-1].cells = [f"span:{first.start}", f"span:{g.start}"]
            break  # one flag per subject
    return flags
