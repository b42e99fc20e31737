"""Writer processes for the append-order test (spawned: fresh interpreters, nothing inherited),
and the deliberately unsafe recorder it must catch."""

from __future__ import annotations

import os
import random
import threading
import uuid
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, StoredEvent
from eventsourcing.utils import Environment

from clientbook.infrastructure.chain import _APPEND, ChainedPostgresApplicationRecorder

TOPIC = "Customer.ContactRecorded"


def recorder(env: dict[str, str]) -> Any:
    """The log's recorder, made as a book makes it, from the store URL's environment."""
    factory = InfrastructureFactory.construct(Environment("ClientBook", env))
    return factory, factory.application_recorder()


def write(env: dict[str, str], writer: int, saves: int, start: Any, threads: int = 2) -> None:
    """`saves` saves of one to three events each, on aggregates of this writer's own, from
    `threads` threads at once (their saves may share a transaction: group commit)."""
    factory, log = recorder(env)

    def run(thread: int) -> None:
        rng = random.Random(writer * 100 + thread)
        for n in range(saves // threads):
            events = [
                StoredEvent(
                    uuid.uuid4(), 1, TOPIC, f"{writer}:{thread}:{n}:{i}".encode() + os.urandom(8)
                )
                for i in range(rng.randint(1, 3))
            ]
            log.insert_events(events)

    start.wait()
    runners = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    factory.close()


class UnlockedRecorder(ChainedPostgresApplicationRecorder):
    """The append path without its lock, its transaction left open a moment after the insert
    (as a slow network or a busy core leaves it): positions commit out of order."""

    def append_function(self, template: str = _APPEND) -> Any:
        unsafe = template.replace("{lock}", "").replace(
            "    PERFORM pg_notify",
            "    PERFORM pg_sleep(random() * 0.004);\n    PERFORM pg_notify",
        )
        return super().append_function(unsafe)
