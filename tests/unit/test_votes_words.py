"""A vote's result in words: one Message, translated when shown, whose source-language words are the
record the vote keeps (result_json's `text`, compared word for word by the verifier)."""
import json
from dataclasses import replace

from app.community.rules import PRESETS, ResidentsBase
from app.core.i18n import Message, set_renderer
from app.votes.choices import OptionSet
from app.votes.rules import (
    Snapshot, VoteKind, message_data, message_from_data, open_words, result_words, source_words, tally,
)

HOUSEHOLDS = {1: 10, 2: 10, 3: 11, 4: 12, 5: 13}


def _snapshot(options, households=None, kind=VoteKind.NAMED, hall=(), online=(1, 2, 3, 4)):
    return Snapshot(kind=kind, eligible={1, 2, 3, 4, 5}, hall=set(hall), online=set(online),
                    options=options, households=households)


def _results():
    representatives = PRESETS["representatives_assembly"].rule
    residents = PRESETS["residents_assembly"].rule
    household_rule = replace(residents, residents_base=ResidentsBase.HOUSEHOLDS)
    motion, pick = OptionSet.motion(), OptionSet.choose(["甲", "乙", "丙"], 2)
    yield tally(representatives, _snapshot(motion), {1: "yes", 2: "yes", 3: "no", 4: "abstain"})
    yield tally(representatives, _snapshot(motion, online=(1,)), {1: "yes"})          # no quorum
    yield tally(representatives, _snapshot(pick), {1: [0, 1], 2: [0, 1], 3: [2], 4: []})  # a tie
    yield tally(household_rule, _snapshot(motion, HOUSEHOLDS), {1: "yes", 3: "yes", 4: "no"})


def test_the_words_in_the_source_language_are_the_record():
    for result in _results():
        assert isinstance(result.message, Message)
        assert source_words(result.message) == result.text


def test_the_stored_words_read_back_as_the_same_message():
    for result in _results():
        stored = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
        again = message_from_data(stored["message"])
        assert again == result.message and source_words(again) == stored["text"]
        assert result_words(stored) == result.message
        assert message_data(again) == stored["message"]


def test_a_result_without_words_kept_reads_its_text():
    assert result_words({"text": "应到 3 人"}) == "应到 3 人" and result_words(None) == ""


def test_the_words_are_rendered_by_the_renderer_installed():
    """Every part is translated: a renderer that marks each msgid shows it reached every one."""
    seen = []

    def marking(msgid, params):
        seen.append(msgid)
        from app.core.i18n import fill
        return fill(msgid, {k: str(v) if isinstance(v, Message) else v for k, v in params.items()})

    previous = set_renderer(marking)
    try:
        result = next(_results())
        assert str(result.message) == result.text
        assert any("赞成" in (m if isinstance(m, str) else m[0]) for m in seen)
    finally:
        set_renderer(previous)


def test_a_vote_refused_for_the_quorum_says_so_in_words():
    ok, words = open_words(PRESETS["representatives_assembly"].rule, _snapshot(OptionSet.motion(), online=(1,)))
    assert not ok and source_words(words).endswith("不能开始表决")
