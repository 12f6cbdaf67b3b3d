"""Chinese-aware text matching for "similar existing proposals" and for proposal search.

Chinese is written without spaces, so a word is approximated by every overlapping pair of CJK
characters (停车 is found in 小区停车难); Latin letters and digits count as whole words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable

# CJK unified ideographs, extension A, compatibility ideographs and the supplementary planes.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_RUN = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>(?:(?![{_CJK}])[^\W_])+)")

# Pairs that nearly every proposal contains; counting them would make 小区停车难 look like
# 小区绿化差. They are left out of similarity only: a search for 小区 must still find 小区.
STOP_BIGRAMS = frozenset({
    "社区", "小区", "居民", "业主", "问题", "建议", "希望", "我们", "大家", "能否", "是否",
    "可以", "进行", "相关", "有关", "情况", "要求", "反映", "解决", "提案", "一下",
})


def _pieces(text: str) -> Iterable[str]:
    """Tokens in reading order, duplicates included."""
    # NFKC turns full-width letters and digits (ＷｉＦｉ５) into ASCII and compatibility
    # ideographs into their unified forms, so both spellings match.
    normal = unicodedata.normalize("NFKC", text or "").casefold()
    for match in _RUN.finditer(normal):
        run = match.group("cjk")
        if run is None:
            yield match.group("word")
        elif len(run) == 1:
            # A lone character (楼 in "3 号 楼") would otherwise leave no trace at all.
            yield run
        else:
            for i in range(len(run) - 1):
                yield run[i:i + 2]


def tokens(text: str) -> set[str]:
    """CJK bigrams (a one-character run as itself) and lowercase Latin/digit words."""
    return set(_pieces(text))


def _comparable(a: set[str], b: set[str]) -> tuple[set[str], set[str]]:
    ca, cb = a - STOP_BIGRAMS, b - STOP_BIGRAMS
    # When one side is nothing but common pairs (a search for 小区), compare everything.
    if not ca or not cb:
        return a, b
    return ca, cb


def _dice(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the two token sets, ignoring common pairs: 0.0 unrelated … 1.0 same."""
    return _dice(*_comparable(tokens(a), tokens(b)))


def rank(
    query: str,
    candidates: Iterable[tuple[Hashable, str]],
    limit: int = 5,
    min_score: float = 0.25,
) -> list[tuple[Hashable, float]]:
    """The candidates most like the query, best first: [(id, score)], at most `limit`.

    The score is the mean of the Dice coefficient and the share of the query found in the
    candidate: Dice alone would bury a long proposal that fully contains a short query (停车),
    coverage alone would not prefer the proposal that is about exactly that. Ties keep the
    candidates' order.
    """
    query_tokens = tokens(query)
    scored = []
    for ident, text in candidates:
        q, c = _comparable(query_tokens, tokens(text))
        if not q or not c:
            continue
        score = (_dice(q, c) + len(q & c) / len(q)) / 2
        if score >= min_score:
            scored.append((ident, score))
    scored.sort(key=lambda pair: pair[1], reverse=True)
    return scored[:limit]


def search_terms(query: str, max_terms: int = 12) -> list[str]:
    """The terms a search should AND together as `column ILIKE '%term%'`, in reading order.

    One-character CJK queries stay as they are. Terms hold only letters, digits and ideographs,
    never a LIKE wildcard. Latin words are lowercased, hence ILIKE. A pasted paragraph is cut to
    `max_terms` so that the query stays cheap; the first terms still narrow it well.
    """
    return list(dict.fromkeys(_pieces(query)))[:max_terms]
