"""The benchmarks' baselines do what their docstrings say: bench_chain.py's unchained recorder
(benchmarks/_unchained.py) is clientbook's recorder without the hash chain, everything else a
save does kept, so that its ratio is the chain's cost alone."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
from conftest import postgres_schema_url
from eventsourcing.persistence import IntegrityError, StoredEvent

from clientbook.infrastructure.store import parse_store_url

import _appenders

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

TOPIC = "Customer.ContactRecorded"


def test_the_unchained_postgres_append_still_checks_the_checked_reads() -> None:
    for url in postgres_schema_url():
        env = {
            **parse_store_url(url).env,
            "APPLICATION_RECORDER_TOPIC": "_unchained:UnchainedPostgresRecorder",
        }
        factory, log = _appenders.recorder(env)
        try:
            read = uuid.uuid4()
            log.insert_events([StoredEvent(read, 1, TOPIC, b"{}")])
            written = uuid.uuid4()
            with pytest.raises(IntegrityError, match="no longer at version"):
                log.insert_events(
                    [StoredEvent(written, 1, TOPIC, b"{}")], expected_versions=[(read, 0)]
                )
            assert log.select_events(written) == []
            log.insert_events(
                [StoredEvent(written, 1, TOPIC, b"{}")], expected_versions=[(read, 1)]
            )
            assert len(log.select_events(written)) == 1
        finally:
            factory.close()
