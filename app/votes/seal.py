"""Sealed secret ballots: the per-vote key, the seal, the receipt, the key's fingerprint. Pure.

During a secret vote a cast stores only that the voter took part, with its ballot sealed in the
same row (`vote_participations.sealed`): nobody without the application's secret key can read a
receipt or a choice there, so the order of writes (SQLite WAL frames, PostgreSQL `xmin`/`ctid`)
says only who voted when, never what or under which receipt. The close opens the seals, writes the
ballots in receipt order and removes the seals (app/votes/sealed.py).

- The key of one vote is derived with HKDF-SHA256 from the secret key, the salt and info naming
  the vote; it is never stored, and a process keeps it in memory only while it needs it.
- A seal is AES-256-GCM (`cryptography`) with a random 96-bit nonce per seal, the vote and voter
  as associated data (a seal moved to another voter's row does not open), over a plaintext of one
  fixed length: the length of a ciphertext must not tell a 赞成 from a 反对.
- An online cast's receipt in a secret vote is an HMAC under the vote's key of the voter and the
  client's nonce (`chain.derive_receipt`), so a retry with the same nonce gets the same receipt,
  and nobody without the key can compute a receipt from anything stored.
- The fingerprint (an HMAC of a constant under the secret key, not the key) lets a backup say
  which key its seals need without carrying it.
"""
import hashlib
import hmac
import json
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.votes.chain import derive_receipt

KEY_BYTES = 32
NONCE_BYTES = 12      # 96 bits, as GCM wants
PLAINTEXT_BYTES = 256  # every sealed ballot is this long before encryption (choice ≤ 200 chars)
_SALT = b"yishi-secret-ballot-seal-v1"
_FINGERPRINT = b"yishi-secret-key-fingerprint-v1"


class SealError(ValueError):
    """A seal that does not open under this key: another key, another row, or damaged bytes."""


def _secret_bytes(secret_key):
    return secret_key if isinstance(secret_key, bytes) else str(secret_key).encode("utf-8")


def vote_key(secret_key, vote_id):
    """The 32-byte key of one vote, from the application's secret key."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=_SALT,
                info=b"vote:%d" % int(vote_id)).derive(_secret_bytes(secret_key))


def secret_receipt(key, vote_id, voter_id, nonce):
    """The receipt of a secret vote's online cast: the same voter and nonce give the same one."""
    return derive_receipt(key, vote_id, nonce, voter_id=int(voter_id))


def _associated(vote_id, voter_id):
    return b"yishi-ballot:%d:%d" % (int(vote_id), int(voter_id))


def _pad(data):
    if len(data) > PLAINTEXT_BYTES - 2:
        raise ValueError("a ballot is too long to seal")
    return struct.pack(">H", len(data)) + data + b"\0" * (PLAINTEXT_BYTES - 2 - len(data))


def _unpad(data):
    (length,) = struct.unpack(">H", data[:2])
    if len(data) != PLAINTEXT_BYTES or length > PLAINTEXT_BYTES - 2:
        raise SealError("a sealed ballot of the wrong shape")
    return data[2:2 + length]


def seal(key, vote_id, voter_id, receipt, choice):
    """nonce ‖ AES-GCM(receipt and canonical choice): what a secret cast stores."""
    plain = _pad(json.dumps([receipt, choice], ensure_ascii=False).encode("utf-8"))
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plain, _associated(vote_id, voter_id))


def open_seal(key, vote_id, voter_id, sealed):
    """(receipt, canonical choice) from a seal of this vote and voter, or `SealError`."""
    sealed = bytes(sealed)
    try:
        plain = AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:],
                                    _associated(vote_id, voter_id))
    except (InvalidTag, ValueError) as exc:
        raise SealError("the sealed ballot does not open with this key") from exc
    receipt, choice = json.loads(_unpad(plain).decode("utf-8"))
    return receipt, choice


def key_fingerprint(secret_key):
    """A short hex name of the secret key that does not reveal it (for backup manifests)."""
    return hmac.new(_secret_bytes(secret_key), _FINGERPRINT, hashlib.sha256).hexdigest()[:32]
