"""Receipt codes and the hash chain that seals a vote's ballots when it closes.

Receipts. A receipt is 10 characters of Crockford base32 (no I, L, O, U), shown as `K7M2-Q9XP-3A`:
50 random bits, so two ballots of one vote practically never share one (the ballot table still
keeps (vote, receipt) unique). Receipts are stored in clear on the ballot, because the whole list
is published after the close for every voter to find their own; a receipt names no voter.

An online cast gets `derive_receipt(key, vote_id, nonce)`, an HMAC of the client's nonce (in a
secret vote under the vote's own key and with the voter: app/votes/seal.py), so a retry of the
same cast finds its ballot again:

- the voter's participation row says that they cast (unique per vote and voter, and per vote
  and household on the household base, so a double click cannot cast twice); in a secret vote it
  also holds the ballot, sealed, until the close: no ballot row exists while the vote is open;
- the nonce itself is stored nowhere;
- a cast from a voter who already cast is a retry: derive the receipt from its nonce, take the
  voter's ballot (a named vote's participation, a secret vote's opened seal) and `retry_receipt`
  answers the same receipt if receipt and choice are the same, and refuses otherwise.

Hall entries (named, per person) get `new_receipt()`. A secret vote's hall totals are sealed as one
record with the receipt `HALL_RECEIPT`, which no real receipt can equal (it contains an L).

The chain. Secret ballots carry no voter, no time stamp and no ordered id, so their order of
arrival must not be recoverable from anything stored or published. The chain therefore does not
follow arrival: at the close, the ballots are sorted by receipt (random, so the order says nothing
about who cast when), the hall record last, and hashed in that order:

    h0 = genesis(vote_id);  h(i+1) = ballot_hash(h(i), vote_id, receipt(i), choice(i))

Each ballot may keep its link hash, and the last one (the head) is published with the result
together with the list of receipts and choices. Anyone can recompute the head from that list.
Changing a choice changes that ballot's hash and everything after it; removing or adding a ballot
shifts every later position; so any change after the close gives another head. Reordering the
input changes nothing, because the order is defined by the data, not by the database. Each field
is length-prefixed before hashing, so no two different ballots can encode to the same bytes.

Publishing receipts with choices lets every voter check their own ballot, and also lets a voter
show a third person how they voted; for community votes that trade is the design's (DESIGN §6).
"""
import hashlib
import hmac
import secrets
from collections.abc import Mapping

from app.core.i18n import N_
from app.core.refusal import Refused

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread
RECEIPT_LENGTH = 10
HALL_RECEIPT = "HALL"
NONCE_MIN, NONCE_MAX = 16, 128
# People misread these; Crockford maps them to the digit they look like.
_READ_AS = {"O": "0", "I": "1", "L": "1"}
_VERSION = b"yishi-vote-chain-v1"


def _group(chars):
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def new_receipt():
    """A fresh random receipt, e.g. `K7M2-Q9XP-3A`."""
    return _group("".join(secrets.choice(ALPHABET) for _ in range(RECEIPT_LENGTH)))


def check_nonce(nonce):
    """A client's cast nonce: printable text of 16 to 128 characters (a UUID fits)."""
    if not isinstance(nonce, str) or not NONCE_MIN <= len(nonce) <= NONCE_MAX \
            or not nonce.isascii() or not nonce.isprintable():
        raise Refused("bad_nonce", N_("投票请求缺少有效的重试标识，请刷新页面后再投。"))
    return nonce


def derive_receipt(key, vote_id, nonce, voter_id=None):
    """The receipt of an online cast: the same nonce always gives the same receipt.

    `key` is a server secret (bytes), so nobody without it can compute receipts from nonces. A
    secret vote's receipt also names the voter (`voter_id`, under the vote's own key: seal.py), so
    two voters' clients that chose one nonce still get two receipts.
    """
    check_nonce(nonce)
    fields = (b"receipt", vote_id, nonce) if voter_id is None \
        else (b"secret-receipt", vote_id, voter_id, nonce)
    mac = hmac.new(key, _encode(*fields), hashlib.sha256).digest()
    number = int.from_bytes(mac, "big") >> (256 - 5 * RECEIPT_LENGTH)
    chars = "".join(ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(RECEIPT_LENGTH)))
    return _group(chars)


def normalize_receipt(text):
    """A receipt as a person typed it (any case, spaces, O for 0) in its stored form, or None."""
    if not isinstance(text, str):
        return None
    chars = "".join(_READ_AS.get(c, c) for c in text.upper() if c not in " -")
    if len(chars) != RECEIPT_LENGTH or any(c not in ALPHABET for c in chars):
        return None
    return _group(chars)


def _encode(*fields):
    """Length-prefixed fields, so no two different field lists share an encoding."""
    out = [_VERSION]
    for value in fields:
        data = value if isinstance(value, bytes) else str(value).encode("utf-8")
        out.append(len(data).to_bytes(8, "big"))
        out.append(data)
    return b"".join(out)


def genesis(vote_id):
    """The hash before the first ballot: binds the chain to its vote."""
    return hashlib.sha256(_encode(b"genesis", vote_id)).hexdigest()


GENESIS = genesis


def ballot_hash(prev_hash, vote_id, receipt, choice_canonical):
    """The link after one ballot: SHA-256 of the previous link, the vote, receipt and choice."""
    return hashlib.sha256(_encode(
        b"ballot", bytes.fromhex(prev_hash), vote_id, receipt, choice_canonical,
    )).hexdigest()


def _fields(ballot):
    """(receipt, choice, stored link or None) from a tuple, a dict or an object such as a row."""
    if isinstance(ballot, Mapping):
        return ballot["receipt"], ballot["choice"], ballot.get("chain_hash")
    if isinstance(ballot, (tuple, list)):
        return ballot[0], ballot[1], ballot[2] if len(ballot) > 2 else None
    return ballot.receipt, ballot.choice, getattr(ballot, "chain_hash", None)


def _order_key(fields):
    receipt, choice, _ = fields
    return receipt == HALL_RECEIPT, receipt, choice


def canonical_order(ballots):
    """(receipt, choice, stored link) in chain order: by receipt, the hall record last."""
    return sorted((_fields(b) for b in ballots), key=_order_key)


def chain_links(vote_id, ballots):
    """[(receipt, choice, link)] in chain order: what to store on each ballot at the close."""
    ordered = canonical_order(ballots)
    receipts = [receipt for receipt, _, _ in ordered]
    if len(set(receipts)) != len(receipts):
        raise ValueError("two ballots of one vote share a receipt")
    links, head = [], genesis(vote_id)
    for receipt, choice, _ in ordered:
        head = ballot_hash(head, vote_id, receipt, choice)
        links.append((receipt, choice, head))
    return links


def chain_head(vote_id, ballots):
    """The head published with the result; the genesis hash when there are no ballots."""
    links = chain_links(vote_id, ballots)
    return links[-1][2] if links else genesis(vote_id)


def verify_chain(vote_id, ballots, expected_head):
    """(ok, first_bad_index): recompute the chain over the ballots in canonical order.

    `first_bad_index` is the position (in canonical order) of the first ballot that is a duplicate
    receipt, or whose stored link differs from the recomputed one or is missing while others have
    theirs; when every stored link agrees (or none are given, as in the published list) but the
    head does not, it is the number of ballots. None when ok.
    """
    ordered = canonical_order(ballots)
    # Links are written for all ballots at the close, so a ballot without one came in later.
    has_links = any(stored is not None for _, _, stored in ordered)
    head, seen = genesis(vote_id), set()
    for index, (receipt, choice, stored) in enumerate(ordered):
        if receipt in seen:
            return False, index
        seen.add(receipt)
        head = ballot_hash(head, vote_id, receipt, choice)
        if has_links and stored != head:
            return False, index
    if head != expected_head:
        return False, len(ordered)
    return True, None


def same_cast(existing_choice, new_choice):
    """Whether a cast repeats the stored one; both are canonical choices (`OptionSet.canonical`)."""
    return existing_choice is not None and existing_choice == new_choice


def retry_receipt(existing, new_choice):
    """For a voter who already cast: the receipt to answer again, or `already_cast`.

    `existing` is (receipt, canonical choice) of the ballot the retry points to, or None.
    """
    if existing is not None and same_cast(existing[1], new_choice):
        return existing[0]
    raise Refused("already_cast", N_("您已投票，不能再次投票或更改。"))
