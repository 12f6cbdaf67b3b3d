"""How alike two proposal titles are, for "similar existing proposals" (the words come from
app.core.chinese, the analysis every search shares)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from app.core.chinese import tokens

# Pairs that nearly every proposal contains; counting them would make 小区停车难 look like
# 小区绿化差. They are left out of similarity only: a search for 小区 must still find 小区.
STOP_BIGRAMS = frozenset({
    "社区", "小区", "居民", "业主", "问题", "建议", "希望", "我们", "大家", "能否", "是否",
    "可以", "进行", "相关", "有关", "情况", "要求", "反映", "解决", "提案", "一下",
})


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

