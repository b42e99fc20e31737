"""Batch work in parts, each part saved exactly once under a key derived from what it holds.

A batch (a close-of-business step, a phase of an import) is too large for one save, so it is
cut into parts, and each part's changes are saved together with the part's idempotency key.
After a crash, the same batch run again finds the keys of the parts already saved and skips
them (counting what they changed), and does the others: together, exactly one run's changes.
Batch keys never expire: however late the re-run, a saved part stays saved.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from clientbook.application.app import ClientBookApplication
from clientbook.application.canonical import digest_of
from clientbook.domain.actor import Actor
from clientbook.domain.idempotency import IdempotencyKey

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")


def command_in_parts(
    app: ClientBookApplication,
    key: str,
    by: Actor,
    cls: type[A],
    ids: Sequence[UUID],
    command: Callable[[A], bool],
) -> int:
    """Give each aggregate a command that says whether it changed; save the changed ones part
    by part (parts by id), each part once. Returns how many changed, in every part. The number
    of parts, when more than one, is recorded under `key` itself with the first part saved, so
    a re-run cuts the same parts even if it finds fewer or more aggregates to work on."""
    parts, plan = _plan(app, key, len(ids))
    if not ids and not plan:
        return 0
    members: dict[int, list[UUID]] = {}
    for aggregate_id in ids:
        members.setdefault(aggregate_id.int * parts >> 128, []).append(aggregate_id)
    total = 0
    for index in range(parts):  # every part: one saved before may have no candidates left

        def work(these: list[UUID] = members.get(index, [])) -> int:
            changed = []
            for aggregate in app.load_many(cls, these, cls.__name__):
                if command(aggregate):
                    changed.append(aggregate)
                else:
                    app.give_back(aggregate)
            if changed and not plan:  # the plan goes with the first part that writes
                app.save_all(_record(key, {"parts": parts}, json.dumps(parts), by))
            app.save_all(*changed)
            return len(changed)

        arguments = {"part": index + 1, "parts": parts, "by": by}
        changed = app.idempotency.run(
            f"{key}/part {index + 1} of {parts}",
            key,
            arguments,
            work,
            int,
            expires=False,
            look_first=True,
        )
        plan = plan or changed > 0  # a part that changed something was saved with the plan
        total += changed
    return total


def each_in_turn(
    app: ClientBookApplication,
    key: str,
    by: Actor,
    ids: Sequence[UUID],
    command: Callable[[UUID], bool],
) -> int:
    """Give each item a command that saves its own changes (an item is a part of its own, as
    when a credit line is saved with the group it changes); each item is keyed. The items are
    recorded under `key` with the first item saved, so that a re-run also counts the items
    saved before that are no longer candidates. Returns how many items changed."""
    plan = app.idempotency.lookup(key)
    planned = [UUID(item) for item in json.loads(plan.result)] if plan else []
    items = list(dict.fromkeys([*planned, *ids]))
    recorded = plan is not None
    total = 0
    for item in items:

        def one(item: UUID = item) -> bool:
            changed = command(item)
            if changed and not recorded:
                text = json.dumps([str(i) for i in items])
                app.save_all(_record(key, {"items": items}, text, by))
            return changed

        arguments = {"item": item, "by": by}
        changed = app.idempotency.run(
            f"{key}/{item}", key, arguments, one, bool, expires=False, look_first=True
        )
        recorded = recorded or changed
        total += changed
    return total


def rows_in_parts(
    app: ClientBookApplication,
    key: str,
    by: Actor,
    rows: Sequence[T],
    work: Callable[[Sequence[T]], Sequence[Aggregate]],
    part_size: int,
) -> int:
    """Work on rows a part at a time (parts by position: rows 1–200, 201–400, …) and save
    what each part changed, each part once; its key names the rows and its digest holds them,
    so a re-run over other rows is refused (IdempotencyKeyReused). Returns how many aggregates
    were saved, in every part."""
    total = 0
    for start in range(0, len(rows), part_size):
        these = rows[start : start + part_size]

        def save(these: Sequence[T] = these) -> int:
            changed = work(these)
            app.save_all(*changed)
            return len(changed)

        name = f"{key}/rows {start + 1}-{start + part_size}"
        total += app.idempotency.run(
            name, key, {"rows": these, "by": by}, save, int, expires=False, look_first=True
        )
    return total


def _plan(app: ClientBookApplication, key: str, count: int) -> tuple[int, bool]:
    """Into how many parts the work is cut, and whether that was recorded: by a plan under the
    key, or (one part) by that part's own key; otherwise as many as `count` needs."""
    plan = app.idempotency.lookup(key)
    if plan is not None:
        return int(json.loads(plan.result)), True
    if app.idempotency.lookup(f"{key}/part 1 of 1") is not None:
        return 1, True
    parts = _parts_for(count, app.part_size)
    return parts, parts == 1


def _parts_for(count: int, part_size: int) -> int:
    """A power of two, so that parts are ranges of ids (uuid5 ids spread evenly)."""
    parts = 1
    while parts * part_size < count:
        parts *= 2
    return parts


def _record(key: str, arguments: dict[str, Any], result: str, by: Actor) -> IdempotencyKey:
    digest = digest_of(key, {**arguments, "by": by})
    return IdempotencyKey(key=key, command=key, digest=digest, result=result, created=(), by=by.id)
