"""Commands that can be retried: an idempotency key makes a retry return the first result.

`@idempotent` (keyed.py) wraps a service command. Given `idempotency_key=`, the command runs
with its saves held back; then its aggregates and the key's record (the command's name, a digest of its
arguments, the actor, the result and the ids it created) are written in one save, so the key is
recorded exactly when the command's events are. A retry with the key finds the record and
returns the recorded result, writing nothing; the same key with other arguments is refused with
`IdempotencyKeyReused`. Two writers with one key race for the record's version 1: the loser's
save conflicts, and it returns the winner's result. A command that writes nothing (a refusal,
or nothing to do) records nothing: its key stays unused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from clientbook.application.canonical import canonical_text, digest_of, encode_result
from clientbook.domain.customer import ERASED, PERSONAL
from clientbook.domain.errors import ConflictError, DomainError, IdempotencyKeyReused, NotFoundError
from clientbook.domain.idempotency import IdempotencyKey, check_key, key_id
from clientbook.domain.policy import Policy, PolicySettings

if TYPE_CHECKING:
    from clientbook.application.app import ClientBookApplication

R = TypeVar("R")

ATTEMPTS = 50
"""A keyed command whose save conflicts runs again (it reloads), as often as this at most."""

KEY_TOPICS = tuple(get_topic(getattr(IdempotencyKey, name)) for name in ("Used", "UsedAgain"))


def _unkeyed_fingerprint(subject: UUID, text: bytes) -> str:
    return hashlib.sha256(subject.bytes + text).hexdigest()


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Idempotency:
    """The book's idempotency keys: runs keyed commands and finds a key's recorded use."""

    def __init__(self, app: ClientBookApplication) -> None:
        self._app = app
        self.clock: Callable[[], datetime] = _utc_now
        """Now, for the policy period (tests move it on)."""
        self.positions: Callable[[UUID, int], int | None] = self._scan_for_position
        """The log position of an aggregate's version; `book.py` sets one that asks SQL."""
        self.fingerprint: Callable[[UUID, bytes], str | None] = _unkeyed_fingerprint
        """A keyed hash of a subject's personal data; `book.py` sets the key store's."""

    def fingerprinted(self, subject: UUID, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments with each personal value (PERSONAL) replaced by its fingerprint under
        the subject's key: a digest holds no hash of personal data that outlives erasure."""
        fingerprinted = dict(arguments)
        for name in PERSONAL & arguments.keys():
            if arguments[name]:
                text = canonical_text(arguments[name]).encode("utf-8")
                fingerprinted[name] = {"personal": self.fingerprint(subject, text) or ERASED}
        return fingerprinted

    def run(
        self,
        key: object,
        command: str,
        arguments: Mapping[str, Any],
        fn: Callable[[], R],
        decode: Callable[[Any], Any],
        *,
        expires: bool = True,
        look_first: bool = False,
    ) -> R:
        """Run `fn` once for a key: the first time, or after the key's use expired (unless
        `expires` is False: batch keys are kept for ever); otherwise return its result.

        A command runs first without reading the key (most keys are new): its save then writes
        the key's version 1, which fails if the key was used, and only then is the key read.
        A batch, whose parts are often done already on a re-run, reads first (`look_first`)."""
        key = check_key(key)
        digest = digest_of(command, arguments)
        by = arguments["by"].id
        read = look_first
        for _ in range(ATTEMPTS):
            record = self.lookup(key) if read else None
            if record is not None and not (expires and self._expired(record)):
                return self._replay(record, command, digest, decode)
            version = 0 if record is None else record.version
            try:
                with self._app.deferred_saves() as stash:
                    result = fn()
            except DomainError:
                if self._version(key) != version:
                    read = True  # the key was used (before, or by someone else meanwhile)
                    continue
                raise
            if not any(a.pending_events for a in stash):
                if not read and self._version(key) != version:
                    read = True  # a retry with nothing left to do: the first result
                    continue
                return result
            use = self._use(record, key, command, digest, encode_result(result), stash, by)
            try:
                self._app.save_all(*stash, use)  # the key's record last: its position is the
            except ConflictError:  # command's position
                read = True
                continue
            return result
        raise ConflictError(
            f"{command} with idempotency key {key!r} conflicted {ATTEMPTS} times with other "
            "writers; nothing of it was written: try again"
        )

    def lookup(self, key: str) -> IdempotencyKey | None:
        """The key's record, or None if the key was never used."""
        try:
            return self._app.get(IdempotencyKey, key_id(key), "idempotency key")
        except NotFoundError:
            return None

    def position_of(self, record: IdempotencyKey) -> int:
        """The log position of the key's last use: the last position its command wrote."""
        return self.positions(record.id, record.version) or 0

    def _replay(
        self, record: IdempotencyKey, command: str, digest: str, decode: Callable[[Any], Any]
    ) -> Any:
        position = self.position_of(record)
        if record.command != command or record.digest != digest:
            raise IdempotencyKeyReused(
                f"idempotency key {record.key!r} was first used for {record.command} by "
                f"{record.used_by} at {record.used_at:%Y-%m-%d %H:%M:%S} UTC (log position "
                f"{position}); this {command} has other arguments and was not run: give a "
                "new command a new key",
                key=record.key,
                command=record.command,
                actor=record.used_by,
                when=record.used_at,
                position=position,
            )
        self._app.note_written(position)
        return decode(json.loads(record.result))

    def _use(
        self,
        record: IdempotencyKey | None,
        key: str,
        command: str,
        digest: str,
        result: str,
        stash: list[Aggregate],
        by: str,
    ) -> IdempotencyKey:
        created = tuple(
            dict.fromkeys(
                a.id
                for a in stash
                if a.pending_events and a.pending_events[0].originator_version == 1
            )
        )
        if record is None:
            return IdempotencyKey(
                key=key, command=command, digest=digest, result=result, created=created, by=by
            )
        record.use_again(command=command, digest=digest, result=result, created=created, by=by)
        return record

    def _expired(self, record: IdempotencyKey) -> bool:
        now = self.clock()
        return record.expired(now, self._days(now.date()))

    def _days(self, today: date) -> int:
        try:
            policy = self._app.get(Policy, Policy.create_id(), "policy")
        except NotFoundError:
            return PolicySettings().idempotency_key_days
        return policy.in_force(today).idempotency_key_days

    def _version(self, key: str) -> int:
        record = self.lookup(key)
        return 0 if record is None else record.version

    def _scan_for_position(self, aggregate_id: UUID, version: int) -> int | None:
        """Reads every key's record in the log (for a store without SQL: memory)."""
        notifications = self._app.recorder.select_notifications(
            start=1, limit=10**9, topics=KEY_TOPICS
        )
        for n in notifications:
            if n.originator_id == aggregate_id and n.originator_version == version:
                return n.id
        return None
