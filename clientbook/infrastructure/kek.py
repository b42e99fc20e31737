"""The key-encryption key (KEK): it wraps every personal-data key, and never lives in the database.

With the database alone (a copy, a backup, a dump) the data keys are wrapped, so no personal
field can be opened. Where the KEK comes from, first found first:

- a `key_provider=` (a KMS, a vault: anything with `wrap`/`unwrap`) or `key_file=` given to
  `ClientBook.open`;
- `CLIENTBOOK_KEY` (32 bytes, base64) or `CLIENTBOOK_KEY_FILE` (a path) in the environment;
- a SQLite book: a key file beside it (`bank.db.key`); a PostgreSQL book: a key file under the
  user's configuration folder (`$XDG_CONFIG_HOME/clientbook/keys/<host>-<port>-<database>-<schema>.key`);
  either is created (mode 0600) only for a book that has no keys yet;
- `memory:`: a key that lives as long as the process.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from cryptography.hazmat.primitives.keywrap import (
    InvalidUnwrap,
    aes_key_unwrap,
    aes_key_wrap,
)

from psycopg.conninfo import conninfo_to_dict

from clientbook.domain.errors import DomainError

if TYPE_CHECKING:
    from clientbook.infrastructure.store import Store

KEY = "CLIENTBOOK_KEY"
KEY_FILE = "CLIENTBOOK_KEY_FILE"


class PersonalDataKeyError(DomainError):
    """The key-encryption key is missing, malformed, or not this book's."""


class PersonalDataKeyMissingError(PersonalDataKeyError):
    """Personal data cannot be written (or opened) without the book's key-encryption key."""


class WrongPersonalDataKeyError(PersonalDataKeyError):
    """The key-encryption key given is not the one this book's data keys are wrapped with."""


class KeyUnwrapError(Exception):
    """A provider could not unwrap a key: it is not the key the data was wrapped with."""


@runtime_checkable
class KeyProvider(Protocol):
    """What wraps and unwraps data keys: a key file, the environment, or a KMS client."""

    @property
    def where(self) -> str:
        """Where the key is, as a person would look for it (a path, a variable, a KMS key id)."""

    def wrap(self, key: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes) -> bytes:
        """The key; raises KeyUnwrapError if `wrapped` was not wrapped by this provider."""


class AesKeyWrap:
    """AES key wrap (RFC 3394) under a 32-byte KEK: integrity-checked, no nonce to keep."""

    def __init__(self, kek: bytes, where: str) -> None:
        if len(kek) != 32:
            raise PersonalDataKeyError(
                f"{where} holds {len(kek)} bytes; a key-encryption key is 32 bytes (base64)"
            )
        self._kek, self.where = kek, where

    def wrap(self, key: bytes) -> bytes:
        return aes_key_wrap(self._kek, key)

    def unwrap(self, wrapped: bytes) -> bytes:
        try:
            return aes_key_unwrap(self._kek, wrapped)
        except InvalidUnwrap:
            raise KeyUnwrapError(self.where) from None


def _decoded(text: str, where: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise PersonalDataKeyError(f"{where} is not a base64 key-encryption key") from None


def environment_key() -> AesKeyWrap:
    """The KEK in CLIENTBOOK_KEY."""
    return AesKeyWrap(_decoded(os.environ[KEY], KEY), KEY)


class KeyFile:
    """A KEK kept in a file (base64), created readable by its owner only, when a new book
    needs one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f"the key file {path}"

    def exists(self) -> bool:
        return self.path.exists()

    def create(self) -> None:
        """Write a new key, whole, or leave the one another process wrote first: the key is
        written to a file of this process's own, then linked into place (atomic, and refused
        when the name exists), so no one ever reads a half-written key."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        draft = self.path.with_name(f".{self.path.name}.{os.getpid()}.{os.urandom(4).hex()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(base64.b64encode(os.urandom(32)) + b"\n")
            try:
                os.link(draft, self.path)
            except FileExistsError:
                pass  # another process made it first: use theirs
        finally:
            draft.unlink()

    def provider(self) -> AesKeyWrap:
        return AesKeyWrap(_decoded(self.path.read_text(), self.where), self.where)


class InProcessKey(AesKeyWrap):
    """A KEK that lives as long as the process: for books in memory."""

    def __init__(self) -> None:
        super().__init__(os.urandom(32), "this process's memory")


def default_key_file(kind: str, sqlite_path: str | None, postgres: str | None) -> KeyFile | None:
    """Where a book of this kind keeps its key file by default (None: in memory)."""
    if os.environ.get(KEY_FILE):
        return KeyFile(Path(os.environ[KEY_FILE]))
    if kind == "sqlite" and sqlite_path and sqlite_path != ":memory:":
        return KeyFile(Path(f"{sqlite_path}.key"))
    if kind == "postgresql" and postgres:
        config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", postgres)
        return KeyFile(Path(config) / "clientbook" / "keys" / f"{name}.key")
    return None


def key_for(
    store: Store, provider: KeyProvider | None, key_file: str | Path | None
) -> KeyProvider | KeyFile | None:
    """The KEK's source for a store, in the order of the module's docstring."""
    if provider is not None:
        return provider
    if key_file is not None:
        return KeyFile(Path(key_file))
    if os.environ.get(KEY):
        return environment_key()
    postgres = None
    if store.kind == "postgresql" and store.postgres_conninfo is not None:
        params = conninfo_to_dict(store.postgres_conninfo)
        postgres = (
            "-".join(
                str(params.get(part) or default)
                for part, default in (("host", "localhost"), ("port", 5432), ("dbname", "postgres"))
            )
            + f"-{store.postgres_schema}"
        )
    return default_key_file(store.kind, store.sqlite_path, postgres)
