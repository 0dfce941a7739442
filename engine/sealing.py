"""Sealed values: bytes the database keeps but cannot read, opened only by the application.

A `Sealer` encrypts with AES-256-GCM under a key derived (HKDF-SHA256) from the application's
secret key, which never enters the database: a copy of the database, its WAL or its dead row
versions shows only ciphertext. Each sealed value is bound to a context (e.g. the ballot it belongs
to), so a value moved to another context does not open. The composition root builds one sealer
from the app's SECRET_KEY and hands it to whoever needs it.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from engine.errors import EngineError

_NONCE_BYTES = 12  # the size AES-GCM is specified for; random per sealing
_KEY_INFO = b"party-workflow sealed values v1"


class SealBroken(EngineError):
    """A sealed value does not open: altered, sealed for another context, or under another key."""

    code = "seal_broken"


class Sealer:
    def __init__(self, secret_key: str | bytes):
        secret = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
        if not secret:
            raise ValueError("a sealer needs a non-empty secret key")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(secret)
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, context: str) -> bytes:
        """Nonce and ciphertext with its tag: len(plaintext) + 28 bytes, whatever the plaintext says."""
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, context.encode("utf-8"))

    def open(self, sealed: bytes, context: str) -> bytes:
        try:
            return self._aead.decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], context.encode("utf-8"))
        except (InvalidTag, ValueError):
            raise SealBroken(f"密封数据无法打开 (a sealed value does not open in context {context!r})") from None

    def __repr__(self) -> str:
        return "Sealer(<key withheld>)"
