"""A test skips only for a reason it names, and CI's switches make every kind mandatory: a
missing PostgreSQL, a missing card data file. A probe that breaks fails; it never skips."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from conftest import (
    CARD_DATA,
    _postgres_unreachable,
    card_data_problem,
    require_card_data,
    require_postgres,
)

NOWHERE = "postgresql://postgres@127.0.0.1:1/test"  # port 1: nothing listens, refused at once


def test_an_unreachable_postgresql_is_a_reason_to_skip_that_names_it() -> None:
    reason = _postgres_unreachable(NOWHERE, timeout=0.2)
    assert reason is not None and NOWHERE in reason and "Connection refused" in reason
    with pytest.raises(pytest.skip.Exception, match="127.0.0.1:1/test is not reachable"):
        require_postgres(reason, required=False)
    with pytest.raises(pytest.fail.Exception, match="CLIENTBOOK_REQUIRE_POSTGRES=1 but Postgre"):
        require_postgres(reason, required=True)


def test_a_reachable_postgresql_is_no_reason_to_skip() -> None:
    reason = _postgres_unreachable()
    require_postgres(reason, required=True)  # CI has a server: a reason here is a failure
    assert reason is None


def test_a_failing_probe_raises_instead_of_skipping(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("a bug in the probe")

    monkeypatch.setattr(psycopg, "connect", broken)
    with pytest.raises(TypeError, match="a bug in the probe"):
        _postgres_unreachable()


def test_missing_card_data_skips_saying_where_it_looked_or_fails_when_required(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "uci.csv"
    reason = card_data_problem(missing)
    assert reason is not None and str(missing) in reason and "CLIENTBOOK_TEST_DATA" in reason
    with pytest.raises(pytest.skip.Exception, match="set CLIENTBOOK_REQUIRE_DATA=1 to make"):
        require_card_data(missing, required=False)
    with pytest.raises(pytest.fail.Exception, match="CLIENTBOOK_REQUIRE_DATA=1 but the UCI"):
        require_card_data(missing, required=True)
    missing.write_text("ID\n")
    assert card_data_problem(missing) is None
    assert require_card_data(missing, required=True) == missing


def test_the_card_data_is_found_beside_the_checkout_as_ci_finds_it() -> None:
    checkout = Path(__file__).resolve().parents[2]
    expected = checkout.parent / "shared" / "data" / "uci-credit-card-default.csv"
    assert CARD_DATA == expected or CARD_DATA == Path(os.environ["CLIENTBOOK_TEST_DATA"])
