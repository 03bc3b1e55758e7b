"""Entry point of the fact extractors: `extract_facts(doc) -> list[Fact]`.

Reads every narrative paragraph and every text cell of a table (itemised budget lists and
绩效目标 text live in table cells), plus the indicator grids, and turns each figure into a
`facts` row tied to its subject.  One module per fact kind, each with its corpus in
extractors/corpus/<kind>.yaml (the corpus is the test suite: tests/test_extractor_corpus.py):
  numbers.py        figures and units (Arabic / Chinese numerals, 元 / 万元 / 亿元 → value_wan)
  subjects.py       the subject noun phrase of a figure, its canonical term, 功能分类 paths
  amounts.py        money amounts, percentages, other counts
  rates.py          0.05万元/人, 每人每月0.22万元
  comparisons.py    year-over-year changes, budget vs final
  staffing.py       staffing counts
  indicators.py     performance indicator targets (tables and narrative)
  itemisations.py   包括 / 其中 / 明细如下 lists: group, parent, total, item details
  units.py          the text read: paragraphs (continued across breaks) and table text cells
  functional_paths.py  功能分类 paths（类）（款）（项） and classification codes
  spacy_view.py     the same findings as spaCy entities (notebooks, displacy)

Conventions for the reconciliation rules (columns beyond the contract are listed in
extractors/facts.py; the lead adds them to FACT_COLUMNS and the store schema):
  * `subject` is the phrase as written; `term` is the canonical gazetteer key of its head
    (terms.yaml: 三公经费, 公务接待费, 机关运行经费, 本年收入合计 …) — compare on `term`.
  * `parent`: for a list item the total's subject; otherwise, when the term has a parent in
    terms.yaml, that parent's fact_parent (公务接待费 → 三公).
  * itemisations: see itemisations.py (`group`, `total_group`, `role`, `item`, `list_no`).
  * comparisons: see comparisons.py (`value` ≥ 0, `direction`, `base_year`, `amount_from`,
    `amount_to`, `qualifier` = budget_vs_final / residue:…).
  * `origin` is "table" for anything read inside a table (indicator rows and text cells;
    `table_id`/`row` set), "narrative" otherwise; `project` names the project of a
    绩效目标表.
  * `year` is the year written in the figure's clause (`2025年当年预算执行数为…`), else
    the document year.
  * a share (`因公出国（境）费199.25万元，占“三公”经费的25.96%`, `完成预算的13.68%`) is a `percent`
    fact whose subject is the amount it is a share of; the share phrase is in `qualifier`.
  * a count written before its noun (`开6个房间`, `3个专门委员会`, `在职7名人员`, `开展4次执法检查`)
    takes the noun after it as subject; a range (`2-3期`) keeps the upper bound, `qualifier`
    = "range:2-3期"; ordinals (`第10次`) and anniversaries (`70周年`) are not counts.
  * in a paragraph stating targets (绩效指标 / 绩效目标), a planned count (`计划…13次`) is also an
    `indicator` fact; a change is an indicator only when its own sentence states targets.
"""
from __future__ import annotations

import bisect
import functools
from typing import Optional

import regex

from budgetlens.document.build import split_sentences
from budgetlens.document.model import Document, Row, Sentence, Table

from . import comparisons, indicators, itemisations, staffing, subjects
from .amounts import amount_fact, count_fact, percent_fact
from .facts import Fact, copy_fact
from .functional_paths import code_of, functional_paths
from .numbers import find_quantities
from .rates import rate_fact
from .units import Unit, text_units

_HAN = regex.compile(r"\p{Han}")
_YEAR_IN = regex.compile(r"(?<!\d)(\d{4})\s*年")
_RANGE_BEFORE = regex.compile(subjects.RANGE_TAIL)


def extract_facts(doc: Document) -> list[Fact]:
    return _Extractor(doc).run()


@functools.lru_cache(maxsize=4096)
def _read_unit(text: str, year: Optional[int]) -> tuple[tuple, tuple, tuple]:
    """The figures, comparisons and budget-vs-final pairs of a unit's text — a function of
    the text and the year alone, read once per distinct text (templated paragraphs and
    cells recur across documents).  Read together: comparisons hold the figures' objects."""
    qs = find_quantities(text)
    return tuple(qs), tuple(comparisons.find_comparisons(text, qs, year)), \
        tuple(comparisons.budget_vs_final(text, qs))


# `_Extractor._unit_facts_once`: unit key -> (unit start, group id prefix, first group id
# number - 1, group ids taken, facts, topic unchanged, topic after); the oldest dropped first
_UNIT_MEMO: dict = {}
_UNIT_MEMO_MAX = 2048


@functools.lru_cache(maxsize=1024)
def _cue_of(section: str, title: str) -> bool:
    """The section or the title states targets (a unit's own text is in its key already)."""
    return indicators.has_cue(section, title)


@functools.lru_cache(maxsize=8192)
def _staffing_term(subject: Optional[str], unit: Optional[str]) -> tuple[bool, Optional[str]]:
    """(an indicator so named, in this unit, counts staff; the term of its name)."""
    term = subjects.term_of(subject or "")
    return staffing.is_staffing(subject, term, unit), term


def _subsequence(word: str, text: str) -> bool:
    """The characters of `word` occur in `text` in order (whatever lies between them)."""
    if word in text:
        return True
    i = 0
    for ch in word:
        i = text.find(ch, i) + 1
        if not i:
            return False
    return True


class _Extractor:
    def __init__(self, doc: Document):
        self.doc = doc
        self.year = doc.year
        self.owner = doc.department or ""
        self._n_gid = 0  # group ids handed out so far (g1, g2 …)
        self.topic: Optional[subjects.Subject] = None
        self.topic_section = None
        self._project: Optional[str] = None
        self._unit_start = 0

    def new_gid(self) -> str:
        self._n_gid += 1
        return f"{self.doc.doc_id}:g{self._n_gid}"

    def run(self) -> list[Fact]:
        facts, used = indicators.table_indicators(self.doc)
        for f in list(facts):
            self._staffing_from_indicator(f, facts)
        out: list[Fact] = []
        for u in text_units(self.doc, used):
            out.extend(self._unit_facts_once(u))
        out.extend(facts)
        for f in out:
            if f.term is None and f.subject:
                f.term = subjects.term_of(f.subject)
            if f.parent is None and f.term:
                f.parent = subjects.parent_term(f.term)
        return out

    def _staffing_from_indicator(self, f: Fact, acc: list[Fact]) -> None:
        staff, term = _staffing_term(f.subject, f.unit)
        if f.value is not None and staff and f.comparator in ("=", "≥", None):
            acc.append(Fact(kind="staffing", subject=f.subject, value=f.value, unit=f.unit,
                            comparator=f.comparator, year=f.year, origin="table", section=f.section,
                            sentence=f.sentence, start=f.start, end=f.end, project=f.project,
                            table_id=f.table_id, row=f.row, is_target=True, raw=f.raw, term=term))

    # ── one unit, read once per distinct reading ────────────────────────────────────
    def _unit_key(self, u: Unit, text: str, section: str) -> tuple:
        """Everything `unit_facts` reads besides the unit's place: its text, the document's
        year, the owner (only when the text could hold it: cleaning cuts the owner out of a
        clause), the 类 of the section and its cue, where the unit comes from, the topic
        carried in, and the document's sentences over the unit (relative to its start: every
        one starting in it, and the one before when none starts with it) — `sentence_at` of
        any offset of the unit is read from those."""
        doc = self.doc
        starts = doc._sentence_starts
        i0, i1 = bisect.bisect_left(starts, u.start), bisect.bisect_right(starts, u.end)
        if i0 and (i0 == len(starts) or starts[i0] != u.start):
            i0 -= 1  # no sentence starts with the unit: the one before may hold its start
        sents = tuple([(x.start - u.start, x.end - u.start, x.text) for x in doc.sentences[i0:i1]])
        owner = self.owner if self.owner and _subsequence(self.owner, text) else ""
        t = self.topic
        return (text, self.year, owner, self._context_lei(section), _cue_of(section, u.title),
                u.origin, u.project, None if t is None else (t.text, t.code, t.path), sents)

    def _unit_facts_once(self, u: Unit) -> list[Fact]:
        """`unit_facts(u)`, read once per distinct `_unit_key` (templated paragraphs and
        cells recur within and across documents): a repeat gets copies of the facts, moved
        to the unit's place (offsets, section, table row, group ids), and the topic they
        left."""
        section = self.doc.section_at(u.start)
        if self.topic_section != section:
            self.topic, self.topic_section = None, section
        text = self.doc.text[u.start:u.end]
        key = self._unit_key(u, text, section)
        hit = _UNIT_MEMO.get(key)
        if hit is None:
            topic, n0 = self.topic, self._n_gid
            facts = self.unit_facts(u)
            _UNIT_MEMO[key] = (u.start, f"{self.doc.doc_id}:g", n0, self._n_gid - n0,
                               [copy_fact(f) for f in facts], self.topic is topic, self.topic)
            if len(_UNIT_MEMO) > _UNIT_MEMO_MAX:
                del _UNIT_MEMO[next(iter(_UNIT_MEMO))]
            return facts
        start0, gid0, n0, n_gids, facts0, same_topic, topic = hit
        gids = {}
        if n_gids:
            gids = {f"{gid0}{n0 + k}": self.new_gid() for k in range(1, n_gids + 1)}
        delta = u.start - start0
        out = []
        new, table_id, row = Fact.__new__, u.table_id, u.row
        for f0 in facts0:
            f = new(Fact)
            f.__dict__.update(f0.__dict__, start=f0.start + delta, end=f0.end + delta, section=section,
                              table_id=table_id, row=row)
            if gids:
                f.group = gids.get(f.group, f.group)
                f.total_group = gids.get(f.total_group, f.total_group)
                if f.item is not None:
                    g, slash, no = f.item.rpartition("/")
                    f.item = gids[g] + slash + no
            out.append(f)
        if not same_topic:
            self.topic = topic
        return out

    # ── one unit ────────────────────────────────────────────────────────────────────
    def unit_facts(self, u: Unit) -> list[Fact]:
        doc = self.doc
        text = doc.text[u.start:u.end]
        qs, comps, bvfs = _read_unit(text, self.year)
        section = doc.section_at(u.start)
        if self.topic_section != section:
            self.topic, self.topic_section = None, section
        comp_q = {id(c.quantity) for c in comps if c.quantity is not None}
        paths = functional_paths(text, self._context_lei(section))
        cue = indicators.has_cue(section, u.title, text)
        facts: list[Fact] = []
        events = [(q.start, "q", q) for q in qs if id(q) not in comp_q] + \
                 [((c.quantity.start if c.quantity else c.dir_start), "c", c) for c in comps]
        events.sort(key=lambda e: e[0])
        prev_end = 0
        for _pos, typ, obj in events:
            if typ == "q":
                f = self._quantity_fact(obj, text, u, section, prev_end, paths, facts, cue)
                prev_end = obj.end
            else:
                f = self._comparison_fact(obj, text, u, section, facts, cue)
                prev_end = obj.end
            if f is not None:
                facts.extend(f if isinstance(f, list) else [f])
        for bv in bvfs:
            f = self._budget_final_fact(bv, text, u, section, facts)
            if f:
                facts.append(f)
        if paths and not facts:
            p = paths[-1]
            self.topic = subjects.Subject(p.subject, code=p.code, path=p.path)
        listed = [f for f in facts if f.kind != "indicator"]
        if listed:  # (no figure: no list, no total)
            itemisations.assign(text, listed, self.new_gid, base=u.start)
        for f in facts:
            if getattr(f, "_pending", False):
                self._resolve_pending(f, facts)
        return facts

    @staticmethod
    def _resolve_pending(f: Fact, facts: list[Fact]) -> None:
        """A sentence-initial comparison with no subject (`…；公务接待费0.25万元。与2023年相比较
        没有变化`): after an itemised sentence it is about the list's total, else about the
        last figure."""
        before = [x for x in facts if x.start is not None and x.start < f.start and x.kind != "percent"
                  and x is not f and x.kind != "indicator"]
        if not before:
            return
        last = before[-1]
        if last.group:
            total = next((x for x in facts if x.total_group == last.group), None)
            while total is not None and total.group and total.role == "item":
                nxt = next((x for x in facts if x.total_group == total.group), None)
                if nxt is None:
                    break
                total = nxt
            f.subject = total.subject if total is not None else last.parent
        else:
            f.subject = last.subject

    @staticmethod
    @functools.lru_cache(maxsize=1024)
    def _context_lei(section: str) -> Optional[str]:
        # the innermost heading naming a 类 (第三部分…说明 > （一）一般公共服务支出（类）)
        for seg in reversed((section or "").split(" > ")):
            for m in functional_paths(seg):
                if m.names[0]:
                    return m.names[0]
        return None

    def _base(self, u: Unit, text: str, a: int, b: int, section: str) -> dict:
        doc = self.doc
        s = doc.sentence_at(u.start + a)
        sentence = s.text if s is not None else text.strip()
        return dict(year=self.year, origin=u.origin, section=section, sentence=sentence,
                    start=u.start + a, end=u.start + b, table_id=u.table_id, row=u.row,
                    project=u.project)

    def _heading_before(self, text: str, a: int, floor: int, paths, qual) -> Optional[subjects.Subject]:
        """The subject a heading right before the clause at `a` gives its figure, or None."""
        if text[a - 1] in "：:":
            # 1.住房公积金(项):支出1073.77万元 — the heading before the colon names the figure
            for p in paths:
                if p.end <= a - 1 and text[p.end:a - 1].strip() == "":
                    return subjects.Subject(p.subject, qualifier=qual, code=p.code, path=p.path)
            a2, b2, _ = subjects.clause_before(text, a - 1, floor)
            s2, q2 = subjects.clean(text[a2:b2], self.owner)
            if s2 and not subjects.is_marker(s2):
                return subjects.Subject(s2, qualifier=qual or q2, code=code_of(s2), start=a2, end=b2)
        # 1.因公出国（境）费用。2026年预算数28.00万元 — a numbered heading run into the
        # paragraph names the figures of the sentence after it
        h = subjects.run_in_heading(text, a - 1)
        if h is not None:
            s2, q2 = subjects.clean(text[h[0]:h[1]], self.owner)
            if s2 and not subjects.is_marker(s2):
                return subjects.Subject(s2, qualifier=qual or q2, code=code_of(s2), start=h[0], end=h[1])
        return None

    def _subject(self, text: str, pos: int, floor: int, paths, facts: list[Fact]) -> tuple[subjects.Subject, Optional[int]]:
        a, b, inside = subjects.clause_before(text, pos, floor)
        year = None
        ym = _YEAR_IN.search(text, a, b)
        if ym:
            year = int(ym.group(1))
        for p in paths:
            if a <= p.start and p.end <= pos and _HAN.search(text[p.start:p.end]):
                return subjects.Subject(p.subject, code=p.code, path=p.path, start=p.start, end=p.end), year
        subj, qual = subjects.clean(text[a:b], self.owner)
        if subj:
            return subjects.Subject(subj, qualifier=qual, code=code_of(subj), start=a, end=b), year
        if a > 0 and not inside:
            head = self._heading_before(text, a, floor, paths, qual)
            if head is not None:
                return head, year
        # borrow: the figure the aside belongs to, the clause before the bracket,
        # the previous figure of the sentence, the topic of the section
        if inside and a > 0:
            opener = a - 1
            for f in reversed(facts):
                if f.end is not None and f.subject and f.end - self._unit_start <= opener \
                        and text[f.end - self._unit_start:opener].strip() == "":
                    return subjects.Subject(f.subject, qualifier=qual, code=f.code, path=f.path), year
            a2, b2, _ = subjects.clause_before(text, opener, 0)
            s2, _q = subjects.clean(text[a2:b2], self.owner)
            if s2:
                return subjects.Subject(s2, qualifier=qual), year
        sent0 = comparisons._sentence_start(text, pos)
        for f in reversed(facts):
            if f.subject and f.kind != "indicator" and f.start is not None and f.start - self._unit_start >= sent0:
                return subjects.Subject(f.subject, qualifier=qual, code=f.code, path=f.path), year
        # a 功能分类 path stated before in the unit with no figure since (`…行政单位离退休（项）。
        # 主要用于：…。年初预算为54.53万元`)
        for p in reversed(paths):
            if p.end <= pos and _HAN.search(text[p.start:p.end]):
                if not any(f.start is not None and p.end <= f.start - self._unit_start < pos for f in facts):
                    return subjects.Subject(p.subject, qualifier=qual, code=p.code, path=p.path), year
                break
        if self._project:
            return subjects.Subject(self._project, qualifier=qual), year
        if self.topic is not None:
            t = self.topic
            return subjects.Subject(t.text, qualifier=qual, code=t.code, path=t.path), year
        return subjects.Subject("", qualifier=qual), year

    def _quantity_fact(self, q, text, u: Unit, section, floor, paths, facts, cue):
        self._unit_start = u.start
        self._project = u.project
        if q.kind == "money" and q.threshold:
            return None
        if q.start > 0 and text[q.start - 1] in subjects.NAME_OPENERS:
            return None  # “15分钟社区生活圈”, “十四五”: part of a name, not a figure
        cb = indicators.comparator_before(text, q.start)
        ca = indicators.comparator_after(text, q.end) if q.kind != "money" else None
        cmp_text = text[cb[1]:q.start].strip() if cb else ""
        is_ind = cb is not None and (indicators.is_symbol(cmp_text) or cue or indicators.has_cue(text)
                                     or (q.kind != "money" and indicators.is_target_word(cmp_text)))
        subj_pos = cb[1] if (is_ind and cb) else q.start
        subj, year = self._subject(text, subj_pos, floor, paths, facts)
        kw = self._base(u, text, q.start, q.end, section)
        kw["year"] = year or self.year
        if is_ind:
            name = indicators.strip_leading_verbs(subj.text)
            f = Fact(kind="indicator", subject=name, value=q.value, unit=q.unit, value_wan=q.value_wan,
                     per=q.per, comparator=cb[0], is_target=True, raw=text[cb[1]:q.end], **kw)
            out = [f]
            term = subjects.term_of(name)
            if staffing.is_staffing(name, term, q.unit):
                out.append(Fact(kind="staffing", subject=name, value=q.value, unit=q.unit, comparator=cb[0],
                                is_target=True, raw=q.raw, term=term, **kw))
            return out
        if q.kind == "money":
            f = amount_fact(q, **kw)
        elif q.kind == "rate":
            f = rate_fact(q, **kw)
        elif q.kind == "percent" and (indicators.has_cue(kw["sentence"]) or (u.origin == "table" and cue)):
            # 绩效指标：…完成率达到95% / a 绩效目标 table cell: 维护验收合格率100%
            f = Fact(kind="indicator", subject=indicators.strip_leading_verbs(subj.text) or None, value=q.value,
                     unit=q.unit, comparator=ca or "=", is_target=True, raw=q.raw, **kw)
            return f
        elif q.kind == "percent":
            f = percent_fact(q, **kw)
            if subj.text.startswith(subjects.SHARE_WORDS):
                # 因公出国（境）费199.25万元，占“三公”经费的25.96%: the share of the figure before
                sent0 = comparisons._sentence_start(text, q.start)
                prev = [x for x in facts if x.kind == "amount" and x.subject and x.start is not None
                        and x.start - u.start >= sent0]
                if prev:
                    f.qualifier = subj.text
                    subj = subjects.Subject(prev[-1].subject, code=prev[-1].code, path=prev[-1].path)
        else:
            noun = subjects.noun_after(text, q.end, q.raw) if not q.per else None
            if not noun and not q.per:
                a0, b0, _ = subjects.clause_before(text, q.start, floor)
                if not subjects.clean(text[a0:b0], self.owner)[0]:
                    noun = subjects.noun_after(text, q.end, q.raw, any_unit=True)
            if noun:
                # 在职7名人员: a staffing word right before the count qualifies the noun
                staff_cue = staffing.cue_before(text, q.start)
                subj = subjects.Subject((staff_cue or "") + noun, start=q.end, end=q.end + len(noun))
            term = subjects.term_of(subj.text)
            kind = "staffing" if staffing.is_staffing(subj.text, term, q.unit) else "count"
            f = count_fact(q, kind=kind, **kw)
            rm = _RANGE_BEFORE.search(text, max(0, q.start - 12), q.start)
            if rm:
                f.qualifier = f"range:{rm.group('low')}-{q.raw}"  # 2-3期: value is the upper bound
            if kind == "staffing":
                f.is_target = bool(cue) or staffing.is_target(kw["sentence"])
            if ca and cue:
                f.comparator = ca
        f.subject = subj.text or None
        f.qualifier = subj.qualifier if not f.qualifier else f.qualifier
        f.code, f.path = subj.code, subj.path
        if f.kind == "count" and f.subject and u.origin == "narrative" and indicators.has_cue(text) \
                and indicators.is_plan(kw["sentence"]) and not q.approx:
            # 绩效指标：…。计划组织召开信访工作会议13次 — a planned count among the stated targets
            ind = Fact(kind="indicator", subject=indicators.strip_leading_verbs(f.subject), value=q.value,
                       unit=q.unit, per=q.per, comparator=ca or "=", is_target=True, raw=q.raw, **kw)
            f = [f, ind]
        first = f[0] if isinstance(f, list) else f
        if first.subject and first.kind in ("amount", "count", "staffing"):
            self.topic = subj if subj.text else self.topic
        return f

    def _comparison_fact(self, c, text, u: Unit, section, facts, cue):
        self._unit_start = u.start
        q = c.quantity
        a, b = (q.start, q.end) if q else (c.dir_start, c.end)
        kw = self._base(u, text, a, b, section)
        subj = None
        if c.subject_span:
            s, _ = subjects.clean(text[c.subject_span[0]:c.subject_span[1]], self.owner)
            subj = s or None
        if subj is None:
            ca, cb_, _ = subjects.clause_before(text, c.start if c.base_quantity is None else
                                                min(c.start, c.base_quantity.start), 0)
            inside = [x for x in facts if x.start is not None and ca <= x.start - u.start < cb_ and x.subject]
            if inside:
                subj = inside[-1].subject
            else:
                s, _ = subjects.clean(text[ca:cb_], self.owner)
                subj = s or None
        pending = False
        sent0 = comparisons._sentence_start(text, c.start)
        before = [f for f in facts if f.start is not None and f.start - u.start < c.start]
        in_sentence = [f for f in before if f.start - u.start >= sent0 and f.kind != "percent"]
        if subj is None:
            if in_sentence:
                subj = in_sentence[-1].subject
                # 与上年相比增加2444.1万元，增长31.22%: both wait for the same subject
                pending = subj is None and getattr(in_sentence[-1], "_pending", False)
            elif before:
                pending = True
            elif self.topic is not None:
                subj = self.topic.text
        value = q.value if q else 0.0
        unit = q.unit if q else (in_sentence[-1].unit if in_sentence and in_sentence[-1].kind == "amount" else "万元")
        value_wan = q.value_wan if q and q.value_wan is not None else (0.0 if not q and unit in ("万元", "元") else None)
        base_q = c.base_quantity
        if c.target:
            # 由A增加至B: the figure is the new amount; the change is B − A (unknown without A)
            if base_q is not None and base_q.unit == q.unit:
                value = round(q.value - base_q.value, 6)
                value_wan = round((q.value_wan or 0) - (base_q.value_wan or 0), 6)
            else:
                value, value_wan = None, None
        f = Fact(kind="comparison", subject=subj, value=abs(value) if value is not None else None, unit=unit,
                 value_wan=abs(value_wan) if value_wan is not None else None,
                 base_year=c.base_year, direction=c.direction, qualifier=c.qualifier,
                 raw=text[c.start:c.end], **kw)
        f._pending = pending
        # amounts stated in the same sentence, since the previous comparison
        prev_c = max((x.start for x in in_sentence if x.kind == "comparison"), default=None)
        amounts = [x for x in in_sentence if x.kind == "amount" and (prev_c is None or x.start > prev_c)]
        if base_q is not None:
            # the old amount is stated (比…预算数A万元增加C万元 / 由A增加至B): the new one is the
            # amount before it in the sentence (or the target figure)
            a0 = u.start + base_q.start
            before_base = [x for x in amounts if x.start < a0 and (not subj or x.subject == subj)]
            if c.target:
                f.amount_from, f.amount_to = base_q.value, q.value
            elif before_base and before_base[-1].unit == base_q.unit and (q is None or q.unit == base_q.unit):
                f.amount_from, f.amount_to = base_q.value, before_base[-1].value
            amounts = []
        elif c.target and q is not None:
            f.amount_to = q.value
            amounts = []
        if amounts:
            # the amount the change is about: the same subject (增减相抵后增加123.67万元 is not
            # about 外事经费200万元 stated before it)
            same = [x for x in amounts if not subj or x.subject == subj]
            if same:
                to = same[-1]
                f.amount_to = to.value
                if c.base_year:
                    for x in same[:-1]:
                        if x.year == c.base_year:
                            f.amount_from = x.value
        # a change stated as a target (绩效指标：…同比2021年下降10%); not every change in a
        # section whose heading mentions 绩效目标 (PDF headings can cover whole pages)
        if cue and q is not None and (indicators.has_cue(kw["sentence"]) or u.origin == "table"):
            facts.append(Fact(kind="indicator", subject=subj, value=abs(value), unit=q.unit,
                              direction=c.direction, base_year=c.base_year, is_target=True,
                              raw=text[c.start:c.end], **kw))
        return f

    def _budget_final_fact(self, bv, text, u: Unit, section, facts):
        qa, qb = bv.budget, bv.final
        fa = next((f for f in facts if f.start == u.start + qa.start and f.kind == "amount"), None)
        fb = next((f for f in facts if f.start == u.start + qb.start and f.kind == "amount"), None)
        subj = (fa.subject if fa else None) or (fb.subject if fb else None)
        kw = self._base(u, text, qb.start, qb.end, section)
        return Fact(kind="comparison", subject=subj, value=round(abs((qb.value_wan or 0) - (qa.value_wan or 0)), 6),
                    unit="万元", value_wan=round(abs((qb.value_wan or 0) - (qa.value_wan or 0)), 6),
                    base_year=self.year, direction=bv.direction, qualifier="budget_vs_final",
                    amount_from=qa.value, amount_to=qb.value, code=fa.code if fa else None,
                    path=fa.path if fa else None, raw=text[qa.start:qb.end], **kw)


def extract_text(text: str, year: Optional[int] = None, department: Optional[str] = None,
                 section: str = "") -> list[Fact]:
    """Facts of one paragraph of text (corpus tests, notebooks, the spaCy view)."""
    doc = Document(doc_id="text", source="<text>", format="text", text=text, year=year,
                   department=department)
    doc.paragraphs = [(0, len(text))]
    doc.sentences = [Sentence(a, b, text[a:b], section, 0) for a, b in split_sentences(text)]
    ex = _Extractor(doc)
    ex._project = None
    facts = ex.unit_facts(Unit(0, len(text)))
    for f in facts:
        if f.term is None and f.subject:
            f.term = subjects.term_of(f.subject)
        if f.parent is None and f.term:
            f.parent = subjects.parent_term(f.term)
    return facts


def extract_table_rows(rows: list[list[str]], year: Optional[int] = None, title: str = "") -> list[Fact]:
    """Indicator facts of table rows (header row first) — corpus tests of indicators.py."""
    text, spans = "", []
    for r in rows:
        rs = []
        for c in r:
            rs.append((len(text), len(text) + len(c)))
            text += c + "\t"
        text += "\n"
        spans.append(rs)
    t = Table(table_id="t:t1", title=title, table_type="performance_targets", unit="", columns=[],
              header_rows=[], rows=[Row(i, list(r), spans[i]) for i, r in enumerate(rows)])
    doc = Document(doc_id="t", source="<rows>", format="text", text=text, year=year, tables=[t])
    facts, _ = indicators.table_indicators(doc)
    ex = _Extractor(doc)
    for f in list(facts):
        ex._staffing_from_indicator(f, facts)
    return facts
