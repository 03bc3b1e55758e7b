"""jieba's dictionary in a marisa-trie: loaded in milliseconds, ~4 MB instead of ~60 MB.

jieba keeps its dictionary as a dict, FREQ: every word of dict.txt → its frequency, and every
prefix of a word that is not itself a word → 0 (get_DAG walks a sentence through the
prefixes).  jieba.posseg keeps a second dict, word → POS tag.  Built from dict.txt they
cost ~1.5 s; read back from a marshal cache ~0.5-0.9 s and ~60 MB, at every start-up.

Here the keys of FREQ (words and prefixes) are one marisa trie, and the values two arrays
indexed by the trie's key id: the frequency (0 for a prefix) and the number of the tag
(0: no tag, a prefix).  TrieFreq and TrieTags present them as the mappings jieba uses (`in`,
`[]`, `.get`, `[]=`, `.update`); the words added at run time (jieba.add_word, the user
dictionary, posseg's merge of user tags) go into a small dict laid over the trie.

The trie and the arrays are built once from dict.txt, exactly as jieba's two loaders read it
(Tokenizer.gen_pfdict and POSTokenizer.load_word_tag), and kept in one file; a file that
cannot be read is rebuilt, and a dictionary that jieba's loaders would read differently
(or refuse) is left to jieba (`build` returns None).
"""
from __future__ import annotations

import marshal
from array import array
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any, Optional

import marisa_trie

FORMAT = 1

_ABSENT: Any = object()  # not in the mapping
_DELETED: Any = object()  # in the trie, deleted at run time
_NOT_A_KEY = (TypeError, UnicodeEncodeError)  # no str, or a lone surrogate: no key of the trie


class _TrieMap(MutableMapping):
    """A mapping whose keys are those of a marisa trie with a value (`_value(key id)`, or
    _ABSENT), changed by the keys set or deleted at run time (`_extra`, looked at first)."""

    def __init__(self, trie: marisa_trie.Trie) -> None:
        self._trie = trie
        self._find = trie.get  # key → key id or None
        self._extra: dict = {}
        self._base_len: Optional[int] = None

    def _value(self, i: int) -> Any:
        raise NotImplementedError

    def _base(self, key: Any) -> Any:
        try:
            i = self._find(key)
        except _NOT_A_KEY:
            return _ABSENT
        return _ABSENT if i is None else self._value(i)

    def get(self, key: Any, default: Any = None) -> Any:
        v = self._extra.get(key, _ABSENT)
        if v is _ABSENT:
            v = self._base(key)
        return default if v is _ABSENT or v is _DELETED else v

    def __getitem__(self, key: Any) -> Any:
        v = self.get(key, _ABSENT)
        if v is _ABSENT:
            raise KeyError(key)
        return v

    def __contains__(self, key: Any) -> bool:
        return self.get(key, _ABSENT) is not _ABSENT

    def __setitem__(self, key: Any, value: Any) -> None:
        self._extra[key] = value

    def __delitem__(self, key: Any) -> None:
        if key not in self:
            raise KeyError(key)
        if self._base(key) is _ABSENT:
            del self._extra[key]
        else:
            self._extra[key] = _DELETED

    def _base_keys(self) -> Iterator[str]:
        value = self._value
        return (k for k, i in self._trie.iteritems() if value(i) is not _ABSENT)

    def __iter__(self) -> Iterator[Any]:
        extra = self._extra
        for k in self._base_keys():
            if k not in extra:
                yield k
        for k, v in extra.items():
            if v is not _DELETED:
                yield k

    def __len__(self) -> int:
        if self._base_len is None:
            self._base_len = sum(1 for _ in self._base_keys())
        n = self._base_len
        for k, v in self._extra.items():
            n += (v is not _DELETED) - (self._base(k) is not _ABSENT)
        return n

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self)} keys>"


class TrieFreq(_TrieMap):
    """jieba.Tokenizer.FREQ: word or prefix → frequency (0 for a prefix that is no word).
    get, [] and `in` are what jieba's get_DAG and calc call for every character: inlined."""

    def __init__(self, trie: marisa_trie.Trie, freqs: Any) -> None:
        super().__init__(trie)
        self._freqs = freqs
        self._base_len = len(trie)  # every key of the trie is one of FREQ

    def _value(self, i: int) -> Any:
        return self._freqs[i]

    def get(self, key: Any, default: Any = None) -> Any:
        v = self._extra.get(key, _ABSENT)
        if v is _ABSENT:
            try:
                i = self._find(key)
            except _NOT_A_KEY:
                return default
            return default if i is None else self._freqs[i]
        return default if v is _DELETED else v

    def __getitem__(self, key: Any) -> Any:
        v = self._extra.get(key, _ABSENT)
        if v is _ABSENT:
            try:
                i = self._find(key)
            except _NOT_A_KEY:
                i = None
            if i is not None:
                return self._freqs[i]
        elif v is not _DELETED:
            return v
        raise KeyError(key)

    def __contains__(self, key: Any) -> bool:
        v = self._extra.get(key, _ABSENT)
        if v is _ABSENT:
            try:
                return self._find(key) is not None
            except _NOT_A_KEY:
                return False
        return v is not _DELETED


class TrieTags(_TrieMap):
    """jieba.posseg.POSTokenizer.word_tag_tab: word → POS tag (the prefixes have none)."""

    def __init__(self, trie: marisa_trie.Trie, tag_ids: Any, names: tuple) -> None:
        super().__init__(trie)
        self._tag_ids = tag_ids
        self._names = (_ABSENT, *names)  # tag number 0: a prefix, no tag

    def _value(self, i: int) -> Any:
        return self._names[self._tag_ids[i]]


def read_dict(dict_file: Path) -> Optional[tuple[dict, int, dict]]:
    """(FREQ, total, word → tag) as jieba's Tokenizer.gen_pfdict and jieba.posseg's
    load_word_tag read dict_file (a later line of the same word wins, total counts every
    line), or None where either would read a line differently or refuse it (an empty line,
    a line without exactly three fields, an empty word, a frequency int() refuses)."""
    freq: dict[str, int] = {}
    tags: dict[str, str] = {}
    total = 0
    with open(dict_file, "rb") as fh:
        for raw in fh:
            try:
                line = raw.strip().decode("utf-8")
                word, f, tag = line.split(" ")
                n = int(f)
            except ValueError:  # UnicodeDecodeError included
                return None
            if not word:
                return None
            freq[word] = n
            total += n
            tags[word] = tag
            for i in range(1, len(word)):
                freq.setdefault(word[:i], 0)
    return freq, total, tags


def _typecode(values: list[int]) -> str:
    lo, hi = (min(values), max(values)) if values else (0, 0)
    for code in ("B", "H", "I", "Q"):
        if lo >= 0 and hi < 1 << (8 * array(code).itemsize):
            return code
    return "q"


def build(dict_file: Path) -> Optional[bytes]:
    """The cache file's content for dict_file (see `load`); None when jieba should read
    dict_file itself (read_dict)."""
    parsed = read_dict(dict_file)
    if parsed is None:
        return None
    freq, total, tags = parsed
    trie = marisa_trie.Trie(freq)
    names = tuple(sorted(set(tags.values())))
    number = {t: i for i, t in enumerate(names, 1)}
    freqs = [0] * len(trie)
    tag_ids = [0] * len(trie)
    for word, n in freq.items():
        i = trie.key_id(word)
        freqs[i] = n
        if word in tags:
            tag_ids[i] = number[tags[word]]
    fcode, tcode = _typecode(freqs), _typecode(tag_ids)
    try:
        arrays = (fcode, array(fcode, freqs).tobytes(), tcode, array(tcode, tag_ids).tobytes())
    except OverflowError:  # a frequency beyond 64 bits: jieba keeps it as an int
        return None
    return marshal.dumps((FORMAT, total, trie.tobytes(), *arrays, names))


def _numbers_within(tag_ids: memoryview, n: int) -> bool:
    """Every tag number <= n (a byte array checked in C: max() would take ~7 ms)."""
    if tag_ids.format == "B" and n < 256:
        return not tag_ids.obj.translate(None, bytes(range(n + 1)))
    return max(tag_ids, default=0) <= n


def load(data: bytes) -> Optional[tuple[TrieFreq, int, TrieTags]]:
    """(FREQ, total, word_tag_tab) from a cache file's content, or None if it is not one."""
    try:
        fmt, total, trie_bytes, fcode, fbytes, tcode, tbytes, names = marshal.loads(data)
        if fmt != FORMAT or type(total) is not int or not all(type(t) is str for t in names):
            return None
        trie = marisa_trie.Trie().frombytes(trie_bytes)
        freqs = memoryview(fbytes).cast(fcode)  # the bytes, not a copy
        tag_ids = memoryview(tbytes).cast(tcode)
    except (EOFError, ValueError, TypeError, RuntimeError, MemoryError):
        return None
    if not len(trie) == len(freqs) == len(tag_ids) or not _numbers_within(tag_ids, len(names)):
        return None
    return TrieFreq(trie, freqs), total, TrieTags(trie, tag_ids, tuple(names))
