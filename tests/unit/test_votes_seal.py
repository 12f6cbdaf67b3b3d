"""The pure seal helpers of secret ballots (app/votes/seal.py) and the secret vote's receipt."""
import pytest

from app.core.refusal import Refused
from app.votes import seal
from app.votes.choices import OptionSet
from app.votes.rules import Snapshot, VoteKind, prepare_cast

NONCE = "0123456789abcdef-nonce"


def test_the_vote_key_is_derived_per_vote_and_per_secret_key():
    key = seal.vote_key("s3cret", 7)
    assert len(key) == 32
    assert key == seal.vote_key("s3cret", 7)
    assert key != seal.vote_key("s3cret", 8)
    assert key != seal.vote_key("other", 7)
    assert b"s3cret" not in key


def test_a_seal_opens_to_receipt_and_choice_and_hides_both():
    key = seal.vote_key("s3cret", 7)
    sealed = seal.seal(key, 7, 42, "K7M2-Q9XP-3A", "yes")
    assert seal.open_seal(key, 7, 42, sealed) == ("K7M2-Q9XP-3A", "yes")
    assert b"K7M2" not in sealed and b"yes" not in sealed
    # A new random nonce each time: sealing the same ballot twice gives two unrelated seals.
    assert seal.seal(key, 7, 42, "K7M2-Q9XP-3A", "yes") != sealed


def test_every_seal_has_the_same_length_whatever_the_choice():
    key = seal.vote_key("s3cret", 7)
    lengths = {len(seal.seal(key, 7, 1, "K7M2-Q9XP-3A", choice))
               for choice in ("yes", "no", "abstain", "", "0,1,2,3,4,5,6,7,8,9,10,11")}
    assert lengths == {seal.NONCE_BYTES + seal.PLAINTEXT_BYTES + 16}


@pytest.mark.parametrize("key_vote_voter", [("other", 7, 42), ("s3cret", 8, 42), ("s3cret", 7, 43)])
def test_a_seal_does_not_open_under_another_key_vote_or_voter(key_vote_voter):
    secret, vote_id, voter_id = key_vote_voter
    sealed = seal.seal(seal.vote_key("s3cret", 7), 7, 42, "K7M2-Q9XP-3A", "yes")
    with pytest.raises(seal.SealError):
        seal.open_seal(seal.vote_key(secret, vote_id), vote_id, voter_id, sealed)


def test_a_damaged_seal_does_not_open():
    key = seal.vote_key("s3cret", 7)
    sealed = bytearray(seal.seal(key, 7, 42, "K7M2-Q9XP-3A", "yes"))
    sealed[-1] ^= 1
    with pytest.raises(seal.SealError):
        seal.open_seal(key, 7, 42, bytes(sealed))


def test_the_secret_receipt_repeats_for_a_retry_and_differs_per_voter():
    key = seal.vote_key("s3cret", 7)
    first = seal.secret_receipt(key, 7, 42, NONCE)
    assert first == seal.secret_receipt(key, 7, 42, NONCE)
    assert first != seal.secret_receipt(key, 7, 43, NONCE)
    assert first != seal.secret_receipt(key, 7, 42, NONCE + "x")
    assert first != seal.secret_receipt(seal.vote_key("other", 7), 7, 42, NONCE)
    with pytest.raises(Refused):
        seal.secret_receipt(key, 7, 42, "short")


def test_prepare_cast_gives_a_secret_vote_the_voters_receipt():
    key = seal.vote_key("s3cret", 7)
    snapshot = Snapshot(kind=VoteKind.SECRET, eligible={1, 2}, hall=set(), online={1, 2},
                        options=OptionSet.motion())
    prepared = prepare_cast(snapshot, 7, 1, "yes", NONCE, key)
    assert not prepared.named
    assert prepared.receipt == seal.secret_receipt(key, 7, 1, NONCE)
    assert prepared.receipt != prepare_cast(snapshot, 7, 2, "yes", NONCE, key).receipt


def test_the_fingerprint_names_the_key_without_revealing_it():
    print_ = seal.key_fingerprint("s3cret")
    assert print_ == seal.key_fingerprint("s3cret") != seal.key_fingerprint("other")
    assert "s3cret" not in print_ and len(print_) == 32
