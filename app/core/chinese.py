"""Which words a Chinese text is indexed and searched by: the one analysis behind every search.

Pure (no Flask, no database). Chinese is written without spaces, so a word is approximated by
every overlapping pair of CJK characters (停车 is found in 小区停车难); Latin letters and digits
count as whole words. A two-character CJK word is a whole entry of a term index; anything else a
query holds (a lone character, a Latin word) may be part of a longer word and is matched as a
substring of the text instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# CJK unified ideographs, extension A, compatibility ideographs and the supplementary planes.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_RUN = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>(?:(?![{_CJK}])[^\W_])+)")

TERM_MAX = 32   # the width of a term column


def normalise(text: str) -> str:
    """The form both texts and queries are compared in."""
    # NFKC turns full-width letters and digits (ＷｉＦｉ５) into ASCII and compatibility
    # ideographs into their unified forms, so both spellings match.
    return unicodedata.normalize("NFKC", text or "").casefold()


def _pieces(text: str) -> Iterable[str]:
    """Tokens in reading order, duplicates included."""
    for match in _RUN.finditer(normalise(text)):
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


def index_terms(text: str, max_terms: int) -> list[str]:
    """The terms an item is indexed under, sorted, each cut to the column's width."""
    return sorted({t[:TERM_MAX] for t in tokens(text)})[:max_terms]


def search_terms(query: str, max_terms: int = 12) -> list[str]:
    """The terms a search should AND together as `column ILIKE '%term%'`, in reading order.

    One-character CJK queries stay as they are. Terms hold only letters, digits and ideographs,
    never a LIKE wildcard. Latin words are lowercased, hence ILIKE. A pasted paragraph is cut to
    `max_terms` so that the query stays cheap; the first terms still narrow it well.
    """
    return list(dict.fromkeys(_pieces(query)))[:max_terms]


def is_indexed(term: str) -> bool:
    """Whether a search term is a whole entry of a term index (else: a substring to match)."""
    # Two-character CJK words are whole entries of the term index; a lone character or a Latin
    # word may be part of a longer word, so it is matched as a substring instead.
    return len(term) == 2 and not term.isascii()
