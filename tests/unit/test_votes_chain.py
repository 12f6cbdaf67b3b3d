"""Receipts and the sealed ballot chain: any change after the close shows, order never matters."""
import random
import re

import pytest

from app.votes.chain import (
    ALPHABET, HALL_RECEIPT, GENESIS, ballot_hash, canonical_order, chain_head, chain_links,
    check_nonce, derive_receipt, genesis, new_receipt, normalize_receipt, retry_receipt, same_cast,
    verify_chain,
)
from app.core.refusal import Refused

RECEIPT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}$")
KEY = b"server secret"
NONCE = "3f2b9c1e-7d4a-4e8b-9a0c-5e6f7a8b9c0d"


def ballots(n=12, vote_id=7):
    """n online ballots with derived receipts, in arrival order."""
    choices = ["yes", "no", "abstain"]
    return [(derive_receipt(KEY, vote_id, f"nonce-{i:012d}"), choices[i % 3]) for i in range(n)]


# --- receipts ------------------------------------------------------------------------------------

def test_new_receipts_are_short_grouped_unambiguous_and_distinct():
    receipts = {new_receipt() for _ in range(2000)}
    assert len(receipts) == 2000
    assert all(RECEIPT.match(r) for r in receipts)
    assert not set("ILOU") & set("".join(receipts))
    assert set(ALPHABET) == set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def test_a_derived_receipt_is_the_same_for_the_same_cast_only():
    receipt = derive_receipt(KEY, 7, NONCE)
    assert RECEIPT.match(receipt)
    assert derive_receipt(KEY, 7, NONCE) == receipt                 # a retry gets the same
    assert derive_receipt(KEY, 7, NONCE + "x") != receipt
    assert derive_receipt(KEY, 8, NONCE) != receipt                 # another vote
    assert derive_receipt(b"other key", 7, NONCE) != receipt        # unknowable without the key


@pytest.mark.parametrize("nonce", [
    "short", "x" * 129, None, 12345678901234567, "é" * 20, "a\nb" * 8,
])
def test_a_cast_needs_a_proper_nonce(nonce):
    with pytest.raises(Refused) as info:
        check_nonce(nonce)
    assert info.value.code == "bad_nonce"
    with pytest.raises(Refused):
        derive_receipt(KEY, 7, nonce)


@pytest.mark.parametrize("typed, stored", [
    ("K7M2-Q9XP-3A", "K7M2-Q9XP-3A"),
    ("k7m2 q9xp 3a", "K7M2-Q9XP-3A"),
    ("K7M2Q9XP3A", "K7M2-Q9XP-3A"),
    ("KOMI-Q9XP-3L", "K0M1-Q9XP-31"),   # read as the digit they look like
    ("K7M2-Q9XP-3", None), ("K7M2-Q9XP-3AB", None), ("K7M2-Q9XP-3U", None),
    (HALL_RECEIPT, None), ("", None), (None, None),
])
def test_a_typed_receipt_is_normalized_for_lookup(typed, stored):
    assert normalize_receipt(typed) == stored


def test_the_hall_record_can_never_be_a_voters_receipt():
    assert normalize_receipt(HALL_RECEIPT) is None
    assert not RECEIPT.match(HALL_RECEIPT)


# --- hashing -------------------------------------------------------------------------------------

def test_the_genesis_binds_the_chain_to_its_vote():
    assert genesis(7) == GENESIS(7) != genesis(8)
    assert len(genesis(7)) == 64


def test_every_field_of_a_ballot_is_in_its_hash():
    base = ballot_hash(genesis(7), 7, "K7M2-Q9XP-3A", "yes")
    assert ballot_hash(genesis(7), 7, "K7M2-Q9XP-3A", "yes") == base
    assert ballot_hash(genesis(8), 7, "K7M2-Q9XP-3A", "yes") != base
    assert ballot_hash(genesis(7), 8, "K7M2-Q9XP-3A", "yes") != base
    assert ballot_hash(genesis(7), 7, "K7M2-Q9XP-3B", "yes") != base
    assert ballot_hash(genesis(7), 7, "K7M2-Q9XP-3A", "no") != base


def test_the_encoding_is_unambiguous():
    # Moving characters between receipt and choice must not give the same bytes.
    assert ballot_hash(genesis(1), 1, "AB", "C") != ballot_hash(genesis(1), 1, "A", "BC")
    assert ballot_hash(genesis(1), 12, "3", "x") != ballot_hash(genesis(1), 1, "23", "x")


# --- the chain -----------------------------------------------------------------------------------

def test_the_head_does_not_depend_on_arrival_order():
    arrived = ballots()
    head = chain_head(7, arrived)
    for seed in range(5):
        shuffled = arrived[:]
        random.Random(seed).shuffle(shuffled)
        assert chain_head(7, shuffled) == head
    assert [r for r, _, _ in canonical_order(arrived)] == sorted(r for r, _ in arrived)


def test_the_hall_record_is_sealed_last():
    arrived = [(HALL_RECEIPT, "ballots=3;blank=0;invalid=0;counts=2,1,0")] + ballots(3)
    assert canonical_order(arrived)[-1][0] == HALL_RECEIPT
    assert chain_head(7, arrived) != chain_head(7, ballots(3))


def test_an_untouched_chain_verifies_from_the_published_list_or_the_stored_links():
    arrived = ballots()
    head = chain_head(7, arrived)
    assert verify_chain(7, arrived, head) == (True, None)
    stored = chain_links(7, arrived)
    assert stored[-1][2] == head
    assert verify_chain(7, list(reversed(stored)), head) == (True, None)
    as_rows = [{"receipt": r, "choice": c, "chain_hash": h} for r, c, h in stored]
    assert verify_chain(7, as_rows, head) == (True, None)


def test_no_ballots_is_the_genesis():
    assert chain_head(7, []) == genesis(7)
    assert verify_chain(7, [], genesis(7)) == (True, None)
    assert verify_chain(7, [], genesis(8)) == (False, 0)


def _position(stored, receipt):
    return [r for r, _, _ in stored].index(receipt)


def test_a_changed_choice_is_found_at_its_ballot():
    stored = chain_links(7, ballots())
    head = stored[-1][2]
    victim = 4
    receipt, choice, link = stored[victim]
    tampered = stored[:]
    tampered[victim] = (receipt, "no" if choice != "no" else "yes", link)
    assert verify_chain(7, tampered, head) == (False, victim)
    # without stored links only the head tells, and it does
    assert verify_chain(7, [(r, c) for r, c, _ in tampered], head)[0] is False


def test_a_rewritten_chain_still_disagrees_with_the_published_head():
    arrived = ballots()
    head = chain_head(7, arrived)
    forged = [(r, "yes") for r, _ in arrived]
    assert verify_chain(7, chain_links(7, forged), head) == (False, len(forged))


def test_a_dropped_ballot_is_detected():
    stored = chain_links(7, ballots())
    head = stored[-1][2]
    assert verify_chain(7, stored[:3] + stored[4:], head) == (False, 3)
    assert verify_chain(7, stored[:-1], head) == (False, len(stored) - 1)
    assert verify_chain(7, [(r, c) for r, c, _ in stored[1:]], head)[0] is False


def test_an_added_ballot_is_detected():
    stored = chain_links(7, ballots())
    head = stored[-1][2]
    extra = (new_receipt(), "yes")
    position = _position(chain_links(7, stored + [extra]), extra[0])
    ok, bad = verify_chain(7, stored + [extra], head)
    assert not ok and bad == position
    assert verify_chain(7, [(r, c) for r, c, _ in stored] + [extra], head)[0] is False


def test_a_duplicated_receipt_is_refused():
    arrived = ballots(4)
    head = chain_head(7, arrived)
    ok, bad = verify_chain(7, arrived + [arrived[0]], head)
    assert not ok and canonical_order(arrived + [arrived[0]])[bad][0] == arrived[0][0]
    with pytest.raises(ValueError):
        chain_head(7, arrived + [(arrived[0][0], "no")])


def test_ballots_moved_to_another_vote_do_not_verify():
    arrived = ballots()
    assert verify_chain(8, arrived, chain_head(7, arrived)) == (False, len(arrived))


def test_rows_are_read_by_attribute():
    class Row:
        def __init__(self, receipt, choice):
            self.receipt, self.choice = receipt, choice

    arrived = ballots(5)
    assert chain_head(7, [Row(r, c) for r, c in arrived]) == chain_head(7, arrived)


# --- exactly once --------------------------------------------------------------------------------

@pytest.mark.parametrize("existing, new, same", [
    ("yes", "yes", True), ("yes", "no", False), (None, "yes", False), ("0,2", "0,2", True),
    ("0,2", "0", False), (None, None, False),   # no stored ballot is never a repeat
])
def test_same_cast(existing, new, same):
    assert same_cast(existing, new) is same


def test_a_retry_gets_its_receipt_and_a_different_cast_is_refused():
    assert retry_receipt(("K7M2-Q9XP-3A", "yes"), "yes") == "K7M2-Q9XP-3A"
    for existing, choice in ((("K7M2-Q9XP-3A", "yes"), "no"), (None, "yes")):
        with pytest.raises(Refused) as info:
            retry_receipt(existing, choice)
        assert info.value.code == "already_cast" and "已投票" in info.value.message
