"""What a figure is about: the subject noun phrase before it, its canonical budget term,
and 功能分类 paths.

A figure's subject is read from the clause that ends at the figure (bounded by clause
punctuation, by the previous figure, and skipping parenthesised asides such as
`见习岗（3人，…）5.94万元`), then cleaned:
  * the clause is segmented with jieba and the budget user dictionary
    (gazetteers.jieba_cut), so terms like 公务用车运行维护费 or “三公”经费 are single tokens;
  * leading tokens that cannot start a noun phrase are dropped — years and other numerals
    (jieba POS m/t), pronouns, prepositions, conjunctions, adverbs (r/p/c/d/u), the owner
    (我局, the department's own name) and clause openers/verbs listed in
    gazetteers/patterns/subjects.yaml (其中, 包括, 安排 …);
  * trailing linking words (共计安排, 为, 达 …) are dropped and budget qualifiers
    (年初预算, 支出决算, 预算数 …) move to `qualifier`.
A `、` ends the clause only after a figure (`办公费5.25万元、电费…`); between names it is part of
the subject (`网络维护、监控设备维护2万元`, `收、支总预算`).  Leading words are stripped only as whole
jieba tokens (其 of 其他交通费用 stays), not before a generic head (保障数量), and 编制 alone is
a subject.  A clause made only of linkers (累计), or one character, is no subject.
The head of the phrase is the longest gazetteer term it contains (`term`, canonical key of
gazetteers/terms.yaml) — the dictionary, not a fixed character window, decides where the
term starts.  `subject` stays as written (contract).

功能分类 paths (`“一般公共服务支出（类）…（款）…（项）”科目43.83万元`) and classification
codes are read in extractors/functional_paths.py.

Corpus: extractors/corpus/subjects.yaml.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

import regex

from budgetlens import gazetteers
from budgetlens.gazetteers.patterns import alternation, load

S = load("subjects")
NUMERALS = load("amounts")["numerals"]
LINKERS = sorted(S["linkers"], key=len, reverse=True)
QUALIFIERS = sorted(S["qualifiers"], key=len, reverse=True)
OWNERS = sorted(S["owners"], key=len, reverse=True)
LEADING = set(S["leading"]) | set(S["leading_verbs"])
LEADING_SORTED = sorted(LEADING, key=len, reverse=True)
LINKER_SET = set(S["linkers"]) - set(S["also_nouns"])
ALSO_NOUNS = set(S["also_nouns"])
DISTRIBUTIVE = frozenset(S["distributive"])  # 各 / 分别: one figure for each of the phrase's members  # 编制: a verb opening a clause, and a subject on its own
SHARE_WORDS = tuple(S["share_words"])
MEASURE_WORDS = set(S["measure_words"])
NAME_OPENERS = set(S["name_openers"])
_MARKERS = set(S["list_markers"])
APPROX_AFTER = tuple(load("amounts")["approx_after"])
NOUN_MODIFIERS = set(S["noun_modifiers"])
NOT_COUNTED = tuple(S["not_counted_nouns"])
VERBS_INSIDE = tuple(S["verbs_inside"])
GENERIC_HEADS = set(S["generic_heads"])
_NOUN_POS = {"n", "nz", "vn", "ng", "nr", "ns", "nt", "nw", "j", "an"}
EMPTY = set(S["empty_subjects"])
GENERIC_CATEGORIES = set(S["generic_categories"])
_SUFFIX_RE = regex.compile(rf"(?:{alternation(S['term_suffixes'])})+")
LEVELS = S["path_levels"]  # 类, 款, 项

CLAUSE_END = set("，,；;。：:！？!?、")
OPEN, CLOSE = "（(【[", "）)】]"
QUOTES = "“”\"‘’'『』「」《》〈〉"
LIST_NO = regex.compile(rf"^\s*(?:[（(]?[\d{NUMERALS}]{{1,3}}[)）]|[\d{NUMERALS}]{{1,3}}\s*[、.．]|[（(][\d{NUMERALS}]{{1,3}}[)）][、.．]?)\s*")
_NEWLINE_ITEM = regex.compile(rf"\n\s*(?:[（(]?[\d{NUMERALS}]{{1,3}}[)）]|[\d{NUMERALS}]{{1,3}}\s*[、.．])")
_YEAR = regex.compile(r"^\s*(?:\d{4}\s*年(?:度|末|初|底)?|\d{4}\s*-\s*\d{4}\s*年)\s*[，,]?")
_STRIP_POS = {"m", "t", "r", "p", "c", "d", "u", "uj", "ul", "uz", "ug", "ud", "f", "x", "w"}
_PAREN_TAIL = regex.compile(r"[（(][^（()）]*[)）]\s*$")
_HAN = regex.compile(r"\p{Han}")
_WORD = regex.compile(r"^[\w]+$")
_HAN_WORD = regex.compile(r"^[\p{Han}]{2,}$")
_HAN_RUN = regex.compile(r"[\p{Han}]{1,16}")
# a 、 after one of these closes the previous figure's clause (办公费5.25万元、电费…)
_UNITS = [str(u) for k in ("money_units", "percent_units", "count_units") for u in load("amounts")[k]] + ["万"]
_AFTER_FIGURE = regex.compile(
    rf"(?:\d\s*(?:{alternation(_UNITS)})?|[%％）)】\]”’0-9]|[{NUMERALS}](?:{alternation(_UNITS)}))\s*$")


@dataclass
class Subject:
    text: str  # as written (cleaned of openers and linkers)
    term: Optional[str] = None  # canonical gazetteer term
    qualifier: Optional[str] = None
    code: Optional[str] = None
    path: Optional[str] = None
    start: Optional[int] = None  # span of `text` in the text it was read from
    end: Optional[int] = None


_NORMALISE = regex.compile(rf"[\s{regex.escape(QUOTES)}]")


def normalise(s: str) -> str:
    return _NORMALISE.sub("", s or "")


# ── dictionary ────────────────────────────────────────────────────────────────────

@functools.lru_cache(maxsize=None)
def _term_re():
    idx = gazetteers.term_index()
    keys = sorted({normalise(k) for k in idx if len(normalise(k)) >= 2}, key=len, reverse=True)
    return regex.compile(alternation(keys)), {normalise(k): v for k, v in idx.items()}


@functools.lru_cache(maxsize=20000)
def term_of(subject: str) -> Optional[str]:
    """Canonical term of the longest gazetteer spelling inside `subject` (the head)."""
    if not subject:
        return None
    pat, idx = _term_re()
    s = normalise(subject)
    best = None
    for m in pat.finditer(s, overlapped=True):
        w = m.group()
        # the head is the longest term; specific budget items outrank the generic income /
        # total words they are often written with (“三公”经费财政拨款支出); ties → rightmost
        cat = gazetteers.terms().get(idx.get(w, ""), {}).get("category")
        score = (len(w) + (0 if cat in GENERIC_CATEGORIES else 2), m.end())
        if best is None or score >= best[1]:
            best = (w, score)
    if not best:
        return None
    rest = s[best[1][1]:]
    if rest and not _SUFFIX_RE.fullmatch(rest):
        return None
    return idx.get(best[0])


def term_spec(term: Optional[str]) -> dict:
    return gazetteers.terms().get(term or "", {}) if term else {}


def parent_term(term: Optional[str]) -> Optional[str]:
    """The fact_parent of the total this term belongs to (公务接待费 → 三公)."""
    spec = term_spec(term)
    p = spec.get("parent")
    if not p:
        return None
    return gazetteers.terms().get(p, {}).get("fact_parent", p)


def _pos_tokenizer():
    return gazetteers.jieba_pos_tokenizer()


# what jieba.posseg hands to its dictionary cut as one block (its re_han_internal)
_POS_BLOCK = re.compile("[\u4E00-\u9FD5a-zA-Z0-9+#&\\._]+")


@functools.lru_cache(maxsize=50000)
def _piece_tags(piece: str) -> tuple[tuple[str, str], ...]:
    """`POSTokenizer.cut(piece)` as (word, POS) pairs.  A piece the dictionary cut keeps
    whole (one character, or a word its best route does not split) is that word with its
    dictionary tag, exactly what posseg yields for it; only other pieces go through posseg
    (whose HMM tagger reads the words the dictionary does not know)."""
    pos = _pos_tokenizer()
    if len(piece) == 1 and not _POS_BLOCK.fullmatch(piece):
        return ((piece, "x"),)  # punctuation, a space: posseg's tag for any such character
    if _POS_BLOCK.fullmatch(piece):
        pos.makesure_userdict_loaded()  # user words are tagged nz, as posseg does before a cut
        if len(piece) == 1:
            return ((piece, pos.word_tag_tab.get(piece, "x")),)
        tk = pos.tokenizer
        route: dict = {}
        tk.calc(piece, tk.get_DAG(piece), route)
        if route[0][1] == len(piece) - 1:
            return ((piece, pos.word_tag_tab.get(piece, "x")),)
    return tuple((w.word, w.flag) for w in pos.cut(piece))


@functools.lru_cache(maxsize=20000)
def _tokens(s: str) -> tuple[tuple[str, str], ...]:
    """(word, POS) with the budget dictionary; bracketed/quoted terms kept whole."""
    out = []
    for piece in gazetteers.jieba_cut(s):
        if gazetteers.term_index().get(piece) or len(piece) > 1 and not _WORD.match(piece):
            out.append((piece, "nz"))
            continue
        out.extend(_piece_tags(piece))
    return tuple(out)


# ── the clause before a figure ──────────────────────────────────────────────────────

@functools.lru_cache(maxsize=20000)
def clause_before(text: str, pos: int, floor: int = 0) -> tuple[int, int, bool]:
    """(start, end, inside_paren) of the clause ending at `pos`: back to clause punctuation,
    an unmatched opening bracket or `floor`; parenthesised asides are skipped over (they
    stay in the span but `clean` removes them)."""
    i = pos
    depth = 0
    while i > floor:
        c = text[i - 1]
        if c in CLOSE:
            depth += 1
        elif c in OPEN:
            if depth == 0:
                return i, pos, True
            depth -= 1
        elif depth == 0 and (c in CLAUSE_END or (c == "\n" and _NEWLINE_ITEM.match(text, i - 1))):
            if c == "、" and not _AFTER_FIGURE.search(text, max(0, i - 8), i - 1):
                i -= 1
                continue  # 网络维护、监控设备维护2万元: one subject (a list of names)
            return i, pos, False
        i -= 1
    return floor, pos, False


_PAIRS = {"“": "”", "‘": "’", "《": "》", "「": "」", "『": "』", "〈": "〉"}


def _strip_quotes(s: str) -> str:
    """Drop quotes at the ends unless they pair with one inside (“三公”经费 keeps its quotes)."""
    while s and s[0] in QUOTES and not (s[0] in _PAIRS and _PAIRS[s[0]] in s[1:]):
        s = s[1:]
    while s and s[-1] in QUOTES and not any(o in s[:-1] for o, c in _PAIRS.items() if c == s[-1]):
        s = s[:-1]
    return s.strip()


def _longest_end(s: str, words: frozenset, maxlen: int, room: int = 1) -> Optional[str]:
    """The longest of `words` that ends `s` and leaves at least `room` characters before it
    (what `for w in sorted(words, key=len, reverse=True): if s.endswith(w) …` finds first)."""
    for k in range(min(maxlen, len(s) - room), 0, -1):
        if s[-k:] in words:
            return s[-k:]
    return None


def _longest_start(s: str, words: frozenset, maxlen: int, room: int = 1) -> list[str]:
    """The words of `words` that open `s` and leave `room` characters after them, longest first."""
    return [s[:k] for k in range(min(maxlen, len(s) - room), 0, -1) if s[:k] in words]


_LINKER_WORDS, _LINKER_MAX = frozenset(LINKERS), max(map(len, LINKERS), default=0)
_QUALIFIER_WORDS, _QUALIFIER_MAX = frozenset(QUALIFIERS), max(map(len, QUALIFIERS), default=0)
_OWNER_RANK = {w: i for i, w in enumerate(OWNERS)}
_OWNER_MAX = max(map(len, OWNERS), default=0)
_LEADING_WORDS, _LEADING_MAX = frozenset(LEADING), max(map(len, LEADING), default=0)


def _strip_tail_words(s: str) -> str:
    """The clause without its trailing linkers and qualifiers (因公出国（境）费决算为 → 因公出国（境）费)."""
    for _ in range(3):
        w = _longest_end(s, _LINKER_WORDS, _LINKER_MAX) or _longest_end(s, _QUALIFIER_WORDS, _QUALIFIER_MAX)
        if not w:
            break
        s = s[: -len(w)]
    return s


def _strip_owners(s: str) -> str:
    """`for w in OWNERS: if s.startswith(w) and len(s) > len(w) + 1: s = s[len(w):]` — each
    owner word in turn (longest first), tried on what the ones before left."""
    rank = -1
    while True:
        hits = [(_OWNER_RANK[w], w) for w in _longest_start(s, _OWNER_RANK, _OWNER_MAX, 2)
                if _OWNER_RANK[w] > rank]
        if not hits:
            return s
        rank, w = min(hits)
        s = s[len(w):]


def _whole_token(s: str, w: str) -> bool:
    """`w` opens `s` as a word of its own (其 of 其他交通费用 does not), and is not all of it
    when it can also be a noun (编制338名)."""
    if s == w:
        return w not in ALSO_NOUNS
    if len(w) > 1:
        return True
    toks = _tokens(s)
    return bool(toks) and toks[0][0] == w


def _strip_parens(s: str) -> str:
    out, depth = [], 0
    for c in s:
        if c in OPEN:
            depth += 1
        elif c in CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(c)
    return "".join(out)


def clean(raw: str, owner: str = "") -> tuple[str, Optional[str]]:
    """Clause text → (subject as written, qualifier)."""
    if owner:
        s = raw.replace("\t", "").replace("\n", "").strip()
        # the owner is only cut where the clause holds it (with or without its bracketed
        # asides, which `_clean` may drop); elsewhere the answer is the same for every
        # owner, so it is read once for all documents
        if owner not in s and not (("（" in s or "(" in s) and owner in _strip_parens(s)):
            owner = ""
    return _clean(raw, owner)


@functools.lru_cache(maxsize=20000)
def _clean(raw: str, owner: str) -> tuple[str, Optional[str]]:
    s = raw.replace("\t", "").replace("\n", "").strip()
    # a parenthesised aside at the end (公务用车购置及运维费（其中：…）) is not the subject
    while _PAREN_TAIL.search(s):
        s = _PAREN_TAIL.sub("", s)
    if "（" in s or "(" in s:
        # keep brackets that are part of a term (因公出国（境）费), drop asides (含所属单位)
        t = term_of(s) or term_of(_strip_tail_words(s))
        if not (t and any(b in t for b in "（(")):
            s = _strip_parens(s)
    qualifier = None
    each = False  # a distributive word was stripped: the phrase before it is a (plural) noun
    for _ in range(6):
        if normalise(s) in _term_re()[1]:
            break  # the whole clause is a budget term (本年收入合计)
        before = s
        s = LIST_NO.sub("", s)
        s = _YEAR.sub("", s)
        if owner and owner in s:
            s = s[s.rindex(owner) + len(owner):]
        s = _strip_owners(s)
        for w in _longest_start(s, _LEADING_WORDS, _LEADING_MAX, 0):
            if _whole_token(s, w) and _strip_tail_words(s[len(w):]) not in GENERIC_HEADS:
                s = s[len(w):]
                break
        s = s.lstrip("：:，,、 ")
        if s in LINKER_SET or (s in LEADING and s not in ALSO_NOUNS):
            s = ""  # a clause made only of 累计 / 安排: no subject of its own
            break
        w = _longest_end(s, _LINKER_WORDS, _LINKER_MAX)
        if w and each and _tokens(w)[-1][1] in _NOUN_POS:
            w = None  # 收、支预算总计各减少…: before 各 the linker word (总计) is the head noun
        if w:
            rest = s[: -len(w)]
            toks = _tokens(rest)
            # 采购金额 / 预算金额: the linker word is the head noun here
            if not (normalise(rest) in EMPTY or (len(toks) == 1 and toks[0][1].startswith("v"))):
                s = rest
                each = each or w in DISTRIBUTIVE
        w = _longest_end(s, _QUALIFIER_WORDS, _QUALIFIER_MAX, 0)
        if w:
            qualifier = qualifier or w
            s = s[: -len(w)]
        s = s.strip("：:，,、 ")
        if s == before:
            break
    s = _RANGE_TAIL.sub("", s)  # 举办委员学习研讨班2-3期: the range start is not the subject
    s = _strip_leading_pos(s)
    s = _strip_quotes(s.strip("：:，,、 "))
    s = _cut_long(s)
    if not _HAN.search(s) or normalise(s) in EMPTY or len(normalise(s)) < 2:
        return "", qualifier  # 与上年相[比]未发生变化: one stray character is no subject
    return s, qualifier


_MID_YEAR = regex.compile(r"\d{4}\s*年(?:度)?")
RANGE_TAIL = r"(?P<low>\d+(?:\.\d+)?)\s*[-－~～—至到]\s*$"
_RANGE_TAIL = regex.compile(RANGE_TAIL)


def _cut_long(s: str) -> str:
    """A heading glued to its sentence (PDF text) makes long subjects: `…情况说明2024年“三公”
    经费` / `收入预算情况说明江苏省…办公厅本年收入预算`: cut after a year written inside, or at
    the start of the gazetteer term when a long prefix precedes it."""
    if len(s) <= 12:
        return s
    ys = list(_MID_YEAR.finditer(s))
    if ys and len(s) - ys[-1].end() >= 2:
        s = s[ys[-1].end():]
    if len(s) <= 12:
        return s
    # …情况省政协办公厅现有处室: after a clause verb written inside (现有, 共有 …)
    cut = max((s.rfind(w) + len(w) for w in VERBS_INSIDE if w in s[2:]), default=-1)
    if 0 < cut <= len(s) - 2:
        s = s[cut:]
        if len(s) <= 12:
            return s
    plain = normalise(s)
    pat, idx = _term_re()
    best = None
    for m in pat.finditer(plain, overlapped=True):
        if best is None or len(m.group()) > len(best.group()):
            best = m
    if best is not None and best.start() > 6:
        return plain[best.start():]
    return s


def _strip_leading_pos(s: str) -> str:
    """Drop leading tokens that cannot open a noun phrase (POS m/t/r/p/c/d/u, clause
    verbs from the YAML), using jieba with the budget dictionary."""
    if not s:
        return s
    toks = _tokens(s)
    i = 0
    while i < len(toks) - 1:
        w, f = toks[i]
        if f == "nz" or gazetteers.term_index().get(w):
            break
        if (f in _STRIP_POS and not _HAN_WORD.match(w) or w in LEADING) \
                and "".join(x for x, _ in toks[i + 1:]) not in GENERIC_HEADS:
            i += 1
            continue
        break
    # drop a leading pronoun+noun owner like 我局 / 该单位 (jieba: r + n)
    if i < len(toks) - 1 and toks[i][1] == "r" and len(toks[i][0]) == 1 and toks[i + 1][1] in ("n", "ng") \
            and len(toks[i + 1][0]) == 1:
        i += 2
    return "".join(w for w, _ in toks[i:])


def _next_is_noun(s: str, w: str) -> bool:
    """对10个立法项目: a two-character verb modifying the noun after it."""
    toks = _tokens(s)
    return len(toks) > 1 and toks[0][0] == w and toks[1][1] in _NOUN_POS


_HEADING_MAX = int(S.get("run_in_heading_max", 24))
_DIGIT = regex.compile(r"\d")


def run_in_heading(text: str, end: int) -> Optional[tuple[int, int]]:
    """`1.因公出国（境）费用。2026年预算数28.00万元`: the sentence ending at `end` (its full
    stop) is a numbered heading run into the paragraph — a list number, a short name, no
    figure — and names what the figures of the next sentence are about.  Its span, or None."""
    if end <= 0 or end >= len(text) or text[end] != "。":
        return None
    i = end
    while i > 0 and text[i - 1] not in "。；;！？!?\n":
        i -= 1
    m = LIST_NO.match(text[i:end])
    if m is None or i + m.end() >= end:
        return None
    body = text[i + m.end():end]
    if _DIGIT.search(body) or len(body.strip()) > _HEADING_MAX or any(c in CLAUSE_END for c in body):
        return None
    return i + m.end(), end


def is_marker(s: str) -> bool:
    return s in _MARKERS


def noun_after(text: str, end: int, raw: str, any_unit: bool = False) -> Optional[str]:
    """The noun a count is written before (`开6个房间` → 房间), when its unit is a measure
    word (or any unit, for a count whose clause names nothing: `开展4次执法检查`) and nouns
    follow directly; None otherwise."""
    if not raw or (raw.rstrip()[-1] not in MEASURE_WORDS and not any_unit):
        return None
    for w in APPROX_AFTER:  # 确定30个左右…课题
        if text.startswith(w, end):
            end += len(w)
    m = _HAN_RUN.match(text[end:end + 16])
    if not m:
        return None
    out = []
    for w, f in _tokens(m.group()):
        term = gazetteers.term_index().get(w)
        is_term = bool(term)
        if out and (is_term and (gazetteers.terms().get(term, {}).get("category") in GENERIC_CATEGORIES
                                 or any(gazetteers.term_index().get(x) for x in out))
                    or any(w.startswith(x) for x in NOT_COUNTED)):
            break  # 1家参公事业单位财政拨款的… / 9名在职人员人员经费: the next phrase starts
        if f in _NOUN_POS or is_term or (not out and w in NOUN_MODIFIERS) \
                or (not out and f in ("v", "vn") and len(w) == 2 and _next_is_noun(m.group(), w)):
            out.append(w)
            if is_term and len(out) > 1:
                break
            continue
        break
    s = "".join(out)
    return s if len(s) >= 2 else None
