"""Reports an auditor can reproduce: every report by name, cut at one log position, with a
manifest that says what it reflects, and `reproduce`, which re-runs a manifest and compares.

A manifest holds:
- the report's name and parameters (period, as-of business date);
- the log position the report reflects, and the log's hash chain link there (docs/audit.md;
  one indexed read), or, for a book without a chain, a SHA-256 digest of the log up to it, so
  that a log altered since is detected rather than silently reported on;
- the policy settings in force on the as-of date, as the log held them at that position;
- the clientbook version that made it;
- the report itself, flattened into rows `[key, value]` (see `rows_of`), and their digest.

`reproduce(book, manifest)` checks the link (and recomputes the chain up to the first signed
checkpoint covering the position, which it names) or the digest, re-runs the report at the
position with its parameters, and compares the rows one by one, naming each row that differs.

This module is the catalogue of the reports layer (`clientbook/reports/`): like the command
line, it works through the `ClientBook` facade only.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Callable, Iterable
from uuid import UUID

import attrs
from attrs import frozen

from clientbook.application.policy import PolicyService
from clientbook.book import ClientBook
from clientbook.domain.errors import InvalidValueError
from clientbook.domain.money import Money

MANIFEST_FORMAT = 1

Row = tuple[str, str]


@frozen
class Parameters:
    """What a report is asked for: a period (some reports) and the as-of business date."""

    as_of: date
    period_from: date | None = None
    period_to: date | None = None
    currency: str | None = None
    """The portfolio's currency, where the book's cards are in several."""

    def as_json(self) -> dict[str, str | None]:
        given = {"currency": self.currency} if self.currency is not None else {}
        return {
            "as_of": self.as_of.isoformat(),
            "from": _iso(self.period_from),
            "to": _iso(self.period_to),
            **given,  # only when given: a manifest made before reads as it did
        }

    @classmethod
    def from_json(cls, data: dict[str, str | None]) -> Parameters:
        return cls(
            as_of=date.fromisoformat(str(data["as_of"])),
            period_from=_date(data.get("from")),
            period_to=_date(data.get("to")),
            currency=data.get("currency"),
        )


Runner = Callable[[ClientBook, Parameters, int], Any]


PERIODIC = ("managers", "complaints", "migration")
"""The reports over a period; the command line gives them `default_period` when asked for none."""


def default_period(
    as_of: date, start: date | None = None, end: date | None = None
) -> tuple[date, date]:
    """The period a report asked for without one covers: the month up to the as-of date (from
    the first of the end's month to the end, the end being the as-of date when not given)."""
    end = end or as_of
    return start or end.replace(day=1), end


def _period(p: Parameters, name: str) -> tuple[date, date]:
    if p.period_from is None or p.period_to is None:
        raise InvalidValueError(f"the {name} report needs a period: give --from and --to")
    if p.period_from > p.period_to:
        raise InvalidValueError(
            f"the period of the {name} report starts {p.period_from}, after its end {p.period_to}"
        )
    return p.period_from, p.period_to


def _managers(book: ClientBook, p: Parameters, position: int) -> Any:
    """From the log up to the position, without events dated after the as-of date."""
    start, end = _period(p, "managers")
    with book.as_of(on=p.as_of, position=position) as past:
        return past.reports.managers(period_from=start, period_to=end)


def _complaints(book: ClientBook, p: Parameters, position: int) -> Any:
    start, end = _period(p, "complaints")
    return book.reports.complaints(
        period_from=start, period_to=end, as_of=p.as_of, position=position
    )


def _migration(book: ClientBook, p: Parameters, position: int) -> Any:
    start, end = _period(p, "migration")
    if end > p.as_of:
        raise InvalidValueError(
            f"the migration report runs to {end}, after its as-of date {p.as_of}: give an "
            "--as-of on or after --to, or leave it out"
        )
    return book.reports.migration(from_date=start, to_date=end, position=position)


def _portfolio(book: ClientBook, p: Parameters, position: int) -> Any:
    """Write-offs and recoveries from --from (default: the first of the as-of month)."""
    if p.period_from is not None and p.period_from > p.as_of:
        raise InvalidValueError(f"the portfolio's period starts {p.period_from}, after {p.as_of}")
    return book.reports.portfolio(
        as_of=p.as_of, period_from=p.period_from, position=position, currency=p.currency
    )


def _contribution(book: ClientBook, p: Parameters, position: int) -> Any:
    """Over the twelve months up to the as-of date unless --from/--to say otherwise."""
    if p.period_to is not None and p.period_to > p.as_of:
        raise InvalidValueError(
            f"the contribution report runs to {p.period_to}, after its as-of date {p.as_of}: "
            "give an --as-of on or after --to, or leave it out"
        )
    return book.reports.contribution(
        as_of=p.as_of, period_from=p.period_from, period_to=p.period_to, position=position
    )


REPORTS: dict[str, tuple[str, Runner]] = {
    "managers": ("relationship managers: the 1:15 rule, lapsed, contacts, surveys", _managers),
    "complaints": ("complaints received, closed in time, overdue, reopened", _complaints),
    "groups": (
        "group credit concentration against the cap",
        lambda b, p, n: b.reports.groups(as_of=p.as_of, position=n),
    ),
    "classification": (
        "five-category classification of credit lines",
        lambda b, p, n: b.reports.classification(as_of=p.as_of, position=n),
    ),
    "migration": ("five-category migration between two dates", _migration),
    "aging": (
        "trade-credit receivables aging",
        lambda b, p, n: b.reports.aging(as_of=p.as_of, position=n),
    ),
    "portfolio": (
        "card portfolio: buckets, roll and cure rates, write-offs, dormancy",
        _portfolio,
    ),
    "contribution": (
        "customer value: contribution ranked, the Pareto curve, segment proposals",
        _contribution,
    ),
}


@frozen
class ReportRun:
    """A report, the rows it flattens to, and its manifest."""

    name: str
    report: Any
    rows: tuple[Row, ...]
    manifest: dict[str, Any]


def run_report(
    book: ClientBook,
    name: str,
    parameters: Parameters,
    *,
    position: int | None = None,
    digest: bool = True,
) -> ReportRun:
    """Run a report at a log position (default: the head now) and make its manifest. The log
    digest reads the whole log up to the position; `digest=False` leaves it out (None) when
    only the report is wanted."""
    if name not in REPORTS:
        raise InvalidValueError(f"there is no report {name!r}; known: {', '.join(REPORTS)}")
    if parameters.currency is not None and name != "portfolio":
        raise InvalidValueError(
            f"a currency is for the portfolio, whose cards may be in several; the {name} "
            "report has no such choice"
        )
    head = book.head
    if position is None:
        position = head
    if not 0 <= position <= head:
        raise InvalidValueError(
            f"log position {position} is outside the log, which ends at position {head}"
        )
    report = REPORTS[name][1](book, parameters, position)
    rows = tuple(rows_of(report))
    policy = PolicyService(book.app, up_to=position).in_force(parameters.as_of)
    from clientbook import __version__

    manifest = {
        "manifest": MANIFEST_FORMAT,
        "report": name,
        "parameters": parameters.as_json(),
        "log": _log_mark(book, position, digest),
        "policy": policy.as_text(),
        "clientbook_version": __version__,
        "made_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "rows_digest": _digest_rows(rows),
        "rows": [list(row) for row in rows],
    }
    return ReportRun(name, report, rows, manifest)


def _log_mark(book: ClientBook, position: int, digest: bool) -> dict[str, Any]:
    """Where the report stands in the log: the chain's link at its position (one read) where
    the book keeps a chain, else a digest of the log up to it; neither without `digest`."""
    if not digest:
        return {"position": position, "digest": None}
    link = book.trust.link_at(position)
    if link is None:
        return {"position": position, "digest": log_digest(book, position)}
    return {
        "position": position,
        "digest": None,
        "chain": {"seq": link.seq, "link": link.link.hex()},
    }


@frozen
class Difference:
    """One row that differs: its key, the manifest's value and the value now (None = absent)."""

    key: str
    expected: str | None
    actual: str | None


@frozen
class Reproduction:
    """What `reproduce` found."""

    report: str
    position: int
    log_unchanged: bool | None
    """None when the manifest was made without a log digest (nothing to check against)."""
    policy_unchanged: bool
    version_then: str
    version_now: str
    differences: tuple[Difference, ...]
    rows: int
    checkpoint: int | None = None
    """The signed checkpoint that vouches for the log up to the position (None: none yet)."""
    log_damage: str | None = None
    """What is wrong with the log, when the chain says so."""

    @property
    def identical(self) -> bool:
        return self.log_unchanged is not False and self.policy_unchanged and not self.differences


ADDED_ROWS: dict[str, frozenset[str]] = {"portfolio": frozenset({"currency", "currencies"})}
"""Rows a report gained after its first manifests were made: absent from an older manifest,
they are figures that manifest never had, not differences (as an old event is upcast)."""


def reproduce(book: ClientBook, manifest: dict[str, Any]) -> Reproduction:
    """Re-run a manifest's report at its log position with its parameters; compare row by row."""
    position, parameters, rows = _read_manifest(manifest)
    if position > book.head:
        raise InvalidValueError(
            f"the manifest reflects log position {position}, but this book's log ends at "
            f"{book.head}: is it the same book?"
        )
    if manifest["report"] == "portfolio" and parameters.currency is None:
        _one_currency_then(book, parameters, position)
    chain = _chain_of(manifest)
    vouching = None if chain is None else book.trust.vouch(position, *chain)
    again = run_report(
        book, manifest["report"], parameters, position=position, digest=chain is None
    )
    digest = manifest["log"].get("digest")
    unchanged = None if digest is None else again.manifest["log"].get("digest") == digest
    return Reproduction(
        report=manifest["report"],
        position=position,
        log_unchanged=unchanged if vouching is None else vouching.unchanged,
        checkpoint=None if vouching is None else vouching.checkpoint,
        log_damage=None if vouching is None else vouching.damage,
        policy_unchanged=again.manifest["policy"] == manifest["policy"],
        version_then=str(manifest.get("clientbook_version")),
        version_now=str(again.manifest["clientbook_version"]),
        differences=tuple(
            d
            for d in compare(rows, list(again.rows))
            if not (d.expected is None and d.key in ADDED_ROWS.get(manifest["report"], ()))
        ),
        rows=len(again.rows),
    )


def _one_currency_then(book: ClientBook, parameters: Parameters, position: int) -> None:
    """A portfolio manifest that names no currency was made before a portfolio was in one; it
    reproduces where the book's cards were in one currency then, and is refused where they
    were in several: its figures added them together."""
    currencies = book.card_accounts.currencies(as_of=parameters.as_of, position=position)
    if len(currencies) > 1:
        raise InvalidValueError(
            f"this portfolio manifest adds the amounts of cards in {', '.join(currencies)}"
            " together (it was made before a portfolio was in one currency), so no figure of it "
            "can be reproduced; make one manifest per currency with `clientbook report "
            "portfolio --currency C --manifest FILE`"
        )


def _read_manifest(manifest: Any) -> tuple[int, Parameters, list[Row]]:
    """The manifest's position, parameters and rows, or a message saying what is missing."""
    if not isinstance(manifest, dict) or manifest.get("manifest") != MANIFEST_FORMAT:
        raise InvalidValueError("this is not a clientbook report manifest (format 1)")
    try:
        position = int(manifest["log"]["position"])
        parameters = Parameters.from_json(manifest["parameters"])
        rows = [(str(key), str(value)) for key, value in manifest["rows"]]
        name = manifest["report"]
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidValueError(
            f"this report manifest is damaged or incomplete ({type(error).__name__}: {error}); "
            "make it again with `clientbook report … --manifest FILE`"
        ) from None
    if name not in REPORTS:
        raise InvalidValueError(f"the manifest names no known report: {name!r}")
    return position, parameters, rows


def _chain_of(manifest: dict[str, Any]) -> tuple[int, str] | None:
    """The chain's (seq, link) the manifest recorded at its position, if it recorded one."""
    chain = manifest["log"].get("chain")
    if chain is None:
        return None
    try:
        return int(chain["seq"]), str(chain["link"])
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidValueError(
            f"this report manifest's chain link is damaged ({type(error).__name__}: {error}); "
            "make it again with `clientbook report … --manifest FILE`"
        ) from None


def compare(expected: list[Row], actual: list[Row]) -> Iterable[Difference]:
    """Rows that differ, are missing or are new, in the expected rows' order."""
    now = dict(actual)
    then = dict(expected)
    for key, value in expected:
        if now.get(key) != value:
            yield Difference(key, value, now.get(key))
    for key, value in actual:
        if key not in then:
            yield Difference(key, None, value)


def log_digest(book: ClientBook, position: int) -> str:
    """SHA-256 over every stored event up to a position, as stored."""
    digest = hashlib.sha256()
    for record in book.events():
        if record.position > position:
            break
        digest.update(
            f"{record.position}|{record.aggregate_id}|{record.version}|{record.topic}|".encode()
        )
        state = record.state
        digest.update(state if isinstance(state, bytes) else str(state).encode())
        digest.update(b"\n")
    return "sha256:" + digest.hexdigest()


def rows_of(value: Any, key: str = "") -> Iterable[Row]:
    """A report flattened to rows `(key, value)`: one per scalar field, with keys such as
    `groups[Alpha Group].outstanding` — an element of a list is named by its own first text
    field(s) where it has one, so that a row added or removed shifts no other row's key."""
    if attrs.has(type(value)) and not isinstance(value, Money):
        for field in attrs.fields(type(value)):
            yield from rows_of(getattr(value, field.name), _join(key, field.name))
    elif isinstance(value, tuple) and value and all(_is_item(v) for v in value):
        seen: dict[str, int] = {}
        for item in value:
            name = _name_of(item)
            seen[name] = seen.get(name, 0) + 1
            label = name if seen[name] == 1 else f"{name}#{seen[name]}"
            yield from _item_rows(item, f"{key}[{label}]")
    elif isinstance(value, tuple):
        yield key, "; ".join(_text(v) for v in value)
    else:
        yield key, _text(value)


def _item_rows(item: Any, key: str) -> Iterable[Row]:
    if attrs.has(type(item)) and not isinstance(item, Money):
        yield from rows_of(item, key)
        return
    named = set(_key_positions(list(item)))
    yield key, "; ".join(_text(v) for n, v in enumerate(item) if n not in named)


def _is_item(value: Any) -> bool:
    return (attrs.has(type(value)) and not isinstance(value, Money)) or isinstance(value, tuple)


def _key_positions(values: list[Any]) -> list[int]:
    """Which values name an item: its first two texts or dates, else its first value."""
    texts = [n for n, v in enumerate(values) if isinstance(v, (str, date))][:2]
    return texts or [0]


def _name_of(item: Any) -> str:
    values = (
        [getattr(item, f.name) for f in attrs.fields(type(item))]
        if attrs.has(type(item))
        else list(item)
    )
    return " → ".join(_text(values[n]) for n in _key_positions(values))


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Money):
        return f"{value.amount} {value.currency}"
    if isinstance(value, (date, UUID, Decimal, int, str)):
        return value.isoformat() if isinstance(value, date) else str(value)
    if isinstance(value, tuple):
        return "; ".join(_text(v) for v in value)
    return json.dumps(value, sort_keys=True, default=str)


def _digest_rows(rows: Iterable[Row]) -> str:
    return "sha256:" + hashlib.sha256(json.dumps([list(r) for r in rows]).encode()).hexdigest()


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)
