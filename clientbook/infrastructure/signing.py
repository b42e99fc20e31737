"""The key that signs the log's checkpoints: Ed25519, kept outside the database.

Whoever can write the database can rewrite the log and recompute its chain; they cannot sign a
checkpoint without this key, which is why it never lives in the database. Where it comes from:

- `CLIENTBOOK_SIGNING_KEY`: an environment variable holding the private key (PEM, or its 32 raw
  bytes as hex), for servers whose secrets arrive that way;
- else, for a SQLite book, a key file beside the book (`bank.db.signing-key`, mode 0600), created
  on the first signature;
- else (PostgreSQL) no key: signing is refused with a message naming the variable;
- or any `SigningKeyProvider` an embedding application gives (a vault, a hardware token).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from clientbook.domain.errors import DomainError

SIGNING_KEY = "CLIENTBOOK_SIGNING_KEY"


class SigningKeyError(DomainError):
    """No signing key is at hand, or the one given is not an Ed25519 private key."""


class SigningKeyProvider(ABC):
    """Where the checkpoints' signing key comes from."""

    @abstractmethod
    def private_key(self) -> Ed25519PrivateKey:
        """The key to sign with; raises SigningKeyError if there is none."""

    def public_key(self) -> Ed25519PublicKey:
        return self.private_key().public_key()

    def has_key(self) -> bool:
        """False where asking for the key would make a new one (a key file not written yet)."""
        return True


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def parse_private_key(data: bytes, where: str) -> Ed25519PrivateKey:
    """A private key from PEM (PKCS#8) or from its 32 raw bytes written as hex."""
    text = data.strip()
    try:
        if text.startswith(b"-----BEGIN"):
            key = load_pem_private_key(text, password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(text.decode()))
    except ValueError as error:
        raise SigningKeyError(f"{where} holds no Ed25519 private key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{where} holds a private key that is not Ed25519")
    return key


class EnvironmentKey(SigningKeyProvider):
    """The key in the environment variable CLIENTBOOK_SIGNING_KEY."""

    def private_key(self) -> Ed25519PrivateKey:
        return parse_private_key(os.environ[SIGNING_KEY].encode(), SIGNING_KEY)


class KeyFile(SigningKeyProvider):
    """A key file (PEM), created readable by its owner only when first needed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: Ed25519PrivateKey | None = None

    def private_key(self) -> Ed25519PrivateKey:
        if self._key is None:
            if not self.path.exists():
                self._create()
            self._key = parse_private_key(self.path.read_bytes(), str(self.path))
        return self._key

    def has_key(self) -> bool:
        return self.path.exists()

    def _create(self) -> None:
        pem = Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return  # another process made it first: use theirs
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)


class NoKey(SigningKeyProvider):
    """A book with nowhere to keep a key: signing is refused, saying how to give one."""

    def __init__(self, where: str) -> None:
        self.where = where

    def private_key(self) -> Ed25519PrivateKey:
        raise SigningKeyError(
            f"{self.where} has no signing key for checkpoints: set {SIGNING_KEY} to an Ed25519 "
            "private key (PEM, or 32 bytes as hex)"
        )


class EphemeralKey(SigningKeyProvider):
    """A key that lives as long as the process: for books in memory."""

    def __init__(self) -> None:
        self._key = Ed25519PrivateKey.generate()

    def private_key(self) -> Ed25519PrivateKey:
        return self._key


def signing_key_for(kind: str, sqlite_path: str | None, where: str) -> SigningKeyProvider:
    """The default provider for a store of this kind (see the module's docstring)."""
    if os.environ.get(SIGNING_KEY):
        return EnvironmentKey()
    if kind == "sqlite" and sqlite_path and sqlite_path != ":memory:":
        return KeyFile(Path(f"{sqlite_path}.signing-key"))
    if kind == "memory":
        return EphemeralKey()
    return NoKey(where)
