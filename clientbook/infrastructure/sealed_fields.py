"""Personal fields in views: stored sealed under their subject's data key, opened on read.

The subject's own key, not a key of the view's: forgetting it (erasure) makes every copy
unreadable at once, in every view, in a backup and in a dead PostgreSQL row alike. A stored
value is a token: `\\x1f` and the sealed text (`\\x1f` alone: erased; `\\x1f?`: written while
the key-encryption key was missing: the book notes it, and rebuilds the views from the log
once it is opened with the key again). Sealing is deterministic (KeyStore.seal_value), so a rebuilt view holds the rows it held
live. A projection carries tokens through untouched (it reads a
row, changes another column, writes it back), so a view never needs to open a value to keep it.
Exact-match lookups go through a blind index: a keyed HMAC of the value (KeyStore.digest).
"""

from __future__ import annotations

from typing import Iterable
from uuid import UUID

from clientbook.domain.customer import ERASED, UNAVAILABLE
from clientbook.infrastructure.keys import KeyStore

TOKEN = "\x1f"  # a control character: input checks keep them out of every name and text
_MISSING = TOKEN + "?"


class ClearFields:
    """Fields kept as they are: for views that never reach a disk (a past book's, in memory)."""

    def seal(self, subject: UUID, text: str) -> str:
        return text

    def prepare(self, subjects: Iterable[UUID]) -> None:
        """Before sealing a page of these subjects' fields (nothing to prepare here)."""

    def open_many(self, values: Iterable[tuple[UUID, str]]) -> list[str]:
        return [value for _, value in values]

    def digest(self, kind: str, text: str) -> str:
        return f"{kind}:{text}"


class SealedFields(ClearFields):
    """Fields sealed with the book's data keys (see the module's docstring)."""

    def __init__(self, keys: KeyStore) -> None:
        self._keys = keys

    def seal(self, subject: UUID, text: str) -> str:
        if text.startswith(TOKEN):
            return text
        if text == ERASED:
            return TOKEN
        if text == UNAVAILABLE:
            self._keys.note_view_written_without_key()
            return _MISSING
        return TOKEN + self._keys.seal_value(subject, text.encode())

    def prepare(self, subjects: Iterable[UUID]) -> None:
        """The subjects' keys read in one query, not one each as the page's rows are sealed."""
        self._keys.load(subjects)

    def open_many(self, values: Iterable[tuple[UUID, str]]) -> list[str]:
        pairs = list(values)
        sealed = [(s, v[1:]) for s, v in pairs if v.startswith(TOKEN) and v != _MISSING]
        opened = iter(self._keys.open_many(sealed, unavailable=UNAVAILABLE.encode()))
        out = []
        for _, value in pairs:
            if value == _MISSING:
                out.append(UNAVAILABLE)
            elif value.startswith(TOKEN):
                plaintext = next(opened)
                out.append(ERASED if plaintext is None else plaintext.decode())
            else:
                out.append(value)  # a row from before views were sealed (rebuilt on opening)
        return out

    def digest(self, kind: str, text: str) -> str:
        return self._keys.digest(kind, text)
