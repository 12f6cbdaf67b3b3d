"""The check-in desk's search rule and the card code's normal form: pure, no app."""
import pytest

from app.auth import cards
from app.meetings import desk_rules

ZHANG = desk_rules.keys("张建国", desk_rules.address_key("5", "2", "301"), "138 0013 4567")


@pytest.mark.parametrize("typed, normal", [
    ("5-2-301", "5-2-301"),
    ("5栋2单元301室", "5-2-301"),
    ("5号楼2单元301", "5-2-301"),
    ("５－２－３０１", "5-2-301"),      # full width
    ("5 2 301", "5-2-301"),
    ("5/2/301", "5-2-301"),
    ("5-2-", "5-2-"),                # the trailing dash narrows to the unit
    ("  张建国 ", "张建国"),
    ("", ""),
    (None, ""),
])
def test_normalise(typed, normal):
    assert desk_rules.normalise(typed) == normal


@pytest.mark.parametrize("query, found", [
    ("", True),
    ("建国", True), ("张", True), ("李", False),
    ("5", True), ("5-2", True), ("5-2-", True), ("5-2-301", True), ("5-2-302", False),
    ("5-20", False), ("6-2-301", False),
    ("301", True), ("30", True), ("302", False),
    ("4567", True), ("45", True), ("4568", False), ("0013", False),   # only the last four digits
])
def test_matches(query, found):
    assert desk_rules.matches(ZHANG, desk_rules.normalise(query)) is found


def test_no_address_and_no_phone():
    keys = desk_rules.keys("王", desk_rules.address_key("", "1", "101"), None)
    assert keys["address"] == "" and keys["room"] == "" and keys["phone4"] == ""
    assert not desk_rules.matches(keys, "101") and not desk_rules.matches(keys, "1")
    assert desk_rules.matches(keys, "王")


@pytest.mark.parametrize("typed, code", [
    ("ABCDE-FGHJK", "ABCDEFGHJK"),
    ("abcde fghjk\n", "ABCDEFGHJK"),
    ("ＡＢＣＤＥ－ＦＧＨＪＫ", "ABCDEFGHJK"),
    (None, ""),
])
def test_card_code_normal_form(typed, code):
    assert cards.normalise(typed) == code


@pytest.mark.parametrize("code, ok", [
    ("ABCDEFGHJK", True), ("ABCDEFGHJ", False), ("ABCDEFGHJKM", False),
    ("ABCDEFGHJ0", False), ("ABCDEFGHJO", False), ("ABCDEFGHJ1", False), ("ABCDEFGHJI", False),
])
def test_card_code_shape(code, ok):
    assert cards.is_well_formed(code) is ok


def test_new_codes_are_well_formed_and_differ():
    codes = {cards.new_code() for _ in range(200)}
    assert len(codes) == 200 and all(cards.is_well_formed(c) for c in codes)
    assert cards.grouped("ABCDEFGHJK") == "ABCDE-FGHJK"
