"""The ClientBook facade: the composition root that wires domain, application, views and store."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from collections import Counter
from contextlib import AbstractContextManager, suppress
from functools import partial
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence, cast
from uuid import UUID, uuid4

from attrs import frozen

from clientbook.application.app import LOAD_PAGE, ClientBookApplication
from clientbook.projections.view import decode_page
from clientbook.application.campaigns import Campaigns
from clientbook.application.cards import Cards
from clientbook.application.close_of_business import (
    CloseOfBusiness,
    CloseOfBusinessResult,
    AgeCreditLines,
    MarkLapsedCustomers,
    MarkOverdueComplaints,
    RunCardCycle,
)
from clientbook.application.complaints import Complaints
from clientbook.application.credit import Credit
from clientbook.reports.contribution import ContributionQueries
from clientbook.reports.complaints import ComplaintReports
from clientbook.reports.credit import CreditReports
from clientbook.reports.facade import BookReports
from clientbook.reports.managers import ManagerReports
from clientbook.reports.portfolio import CardReports
from clientbook.application.customers import Customers
from clientbook.application.managers import Managers
from clientbook.application.policy import PolicyService
from clientbook.adapters.uci_cards import read_uci_file
from clientbook.application.uci_import import UciImport
from clientbook.domain.card import card_account_id
from clientbook.domain.complaint import complaint_id
from clientbook.domain.credit_line import credit_line_id
from clientbook.domain.customer import customer_id
from clientbook.domain.as_of import AsOf
from clientbook.domain.errors import InvalidValueError, NotFoundError
from clientbook.domain.group import group_id
from clientbook.domain.inputs import checked
from clientbook.infrastructure.audit_view import LogReader, SqlAuditTrailView
from clientbook.infrastructure.card_views import SqlCardAccountsView
from clientbook.infrastructure.collector import collector_paused
from clientbook.infrastructure.campaign_view import SqlCampaignFollowUpsView
from clientbook.infrastructure.contribution_view import SqlContributionView
from clientbook.infrastructure.complaint_views import SqlComplaintCardsView, SqlComplaintFactsView
from clientbook.infrastructure.credit_views import SqlExposureView
from clientbook.infrastructure.kek import KeyProvider, key_for
from clientbook.infrastructure.keys import KeyStore
from clientbook.infrastructure.sealed_fields import ClearFields, SealedFields
from clientbook.infrastructure.rebuild_processes import ChildRebuilds
from clientbook.infrastructure.mapper import ClientBookMapper
from clientbook.infrastructure.postgres import BoundedApplicationRecorder
from clientbook.infrastructure.checkpoint_views import SqlReportCheckpoints
from clientbook.infrastructure.positions import EventPositions
from clientbook.infrastructure.read_side import (
    EventCounter,
    PostgresWakeup,
    SqlReadSideRecords,
    SqlShadows,
    hold,
    leases_for,
)
from clientbook.infrastructure.signing import NoKey, signing_key_for
from clientbook.infrastructure.sql import TRANSIENT_ERRORS, SqlDatabase, SqliteDatabase
from clientbook.infrastructure.replica import ReplicaLag, ReplicaRunner
from clientbook.infrastructure.store import StoreUrlError, parse_store_url
from clientbook.infrastructure.approvals_view import SqlApprovalsView
from clientbook.infrastructure.directory_view import SqlCustomerDirectoryView
from clientbook.infrastructure.manager_view import SqlManagerReportView
from clientbook.projections.approvals import Approvals, ApprovalsProjection
from clientbook.projections.audit import AuditTrailProjection
from clientbook.projections.cards import CardAccountsProjection
from clientbook.projections.campaigns import CampaignFollowUpsProjection, CampaignQueries
from clientbook.projections.contribution import ContributionProjection
from clientbook.projections.complaints import ComplaintCardsProjection
from clientbook.projections.complaint_facts import ComplaintFactsProjection
from clientbook.projections.directory import CustomerDirectoryProjection
from clientbook.projections.exposure import ExposureProjection
from clientbook.projections.managers import ManagerReportProjection
from clientbook.projections.queries import (
    AuditTrail,
    Directory,
    ExposureQueries,
)
from clientbook.projections.operations import Wakeup
from clientbook.projections.runner import LATEST, ProjectionRunner

if TYPE_CHECKING:
    from clientbook.infrastructure.trust import LogTrust


class _Sleep:
    """A wake-up that never comes early: the worker polls."""

    def __init__(self) -> None:
        self._never = threading.Event()

    def wait(self, timeout: float) -> None:
        self._never.wait(timeout)

    def close(self) -> None:
        pass


def _holder() -> str:
    """Who holds a lease, as the status shows it: host, process and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:6]}"


@frozen
class LogRecord:
    """One stored event as it lies in the log: position, aggregate, version, topic, raw JSON."""

    position: int
    aggregate_id: UUID
    version: int
    topic: str
    state: bytes


class _ReadSide:
    """The views, the runner that keeps them and the queries over them: the base of the live
    book (views in its own database) and of a past book (views in a private in-memory one)."""

    def __init__(
        self,
        app: ClientBookApplication,
        database: SqlDatabase,
        policy: PolicyService,
        *,
        stop_at: int | None = None,
        include: Callable[[Any], bool] | None = None,
        operations: dict[str, Any] | None = None,
        runner: Callable[..., ProjectionRunner] = ProjectionRunner,
        fields: ClearFields | None = None,
    ) -> None:
        audit = SqlAuditTrailView(database, LogReader(app.recorder, app.mapper))
        self._directory_view = SqlCustomerDirectoryView(database, fields=fields)
        managers = SqlManagerReportView(database)
        cards = SqlComplaintCardsView(database, fields=fields)
        facts = SqlComplaintFactsView(database)
        exposure = SqlExposureView(database)
        card_view = SqlCardAccountsView(database)
        approvals = SqlApprovalsView(database)
        contribution = SqlContributionView(database)
        follow_ups = SqlCampaignFollowUpsView(database)
        self.projections = runner(
            app,
            [
                AuditTrailProjection(audit),
                CustomerDirectoryProjection(self._directory_view),
                ManagerReportProjection(managers),
                ComplaintCardsProjection(cards),
                ComplaintFactsProjection(facts),
                ExposureProjection(exposure),
                CardAccountsProjection(card_view),
                ApprovalsProjection(approvals),
                ContributionProjection(contribution),
                CampaignFollowUpsProjection(follow_ups),
            ],
            stop_at=stop_at,
            include=include,
            bulk=collector_paused,
            **(operations or {}),
        )
        refresh = self.projections.refresher
        self.campaign_follow_ups = CampaignQueries(follow_ups, refresh("campaign_follow_ups"))
        self.audit = AuditTrail(audit, refresh("audit_trail"))
        self.directory = Directory(self._directory_view, refresh("customer_directory"))
        self.approvals = Approvals(approvals, policy.in_force, refresh("approvals"))
        self.complaint_cards = ComplaintReports(
            cards, facts, refresh("complaint_cards", "complaint_facts"), app.name
        )
        queries = ManagerReports(
            managers,
            lambda on: policy.in_force(on).manager_min_customers,
            refresh("manager_report"),
            app.name,
            self.campaign_follow_ups,
        )
        self.exposure = ExposureQueries(exposure, refresh("exposure"))
        self.credit_reports = CreditReports(app, policy, audit, refresh("audit_trail"))
        self.card_accounts = CardReports(card_view, policy, refresh("card_accounts"), app.name)
        checkpoints = SqlReportCheckpoints(database)  # as-of reports resume from these
        self.card_accounts.checkpoints = self.complaint_cards.checkpoints = checkpoints
        current = self.projections.is_current
        self.card_accounts.facts_current = partial(current, "card_accounts")
        self.complaint_cards.facts_current = partial(current, "complaint_facts")
        self.reports = BookReports(
            queries,
            self.complaint_cards,
            self.credit_reports,
            self.card_accounts,
            self,
            ContributionQueries(contribution, policy, refresh("contribution"), app.name),
        )


class PastBook(_ReadSide):
    """A read-only book as it stood at a log position (and, optionally, a business date):
    `book.as_of(position=…, on=…)`. Its views are built afresh, in memory, from the log up to
    that point, so every query answers exactly what it would have answered then."""

    def __init__(self, app: ClientBookApplication, position: int, on: date | None) -> None:
        self.position = position
        self.on = on
        self._database = SqliteDatabase(":memory:")
        self.policy = PolicyService(app, up_to=position)
        include = None if on is None else _dated_on_or_before(on)
        super().__init__(app, self._database, self.policy, stop_at=position, include=include)

    def close(self) -> None:
        self._database.close()

    def __enter__(self) -> PastBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _dated_on_or_before(on: date) -> Callable[[Any], bool]:
    """The events an as-of-`on` book holds, by the one as-of rule (domain/as_of.py)."""
    rule = AsOf(on)
    return lambda event: rule.counts(
        event.originator_id, event.originator_version, getattr(event, "on", None)
    )


class ClientBook(_ReadSide):
    """A book of customers: one event log, its services, its views and its reports."""

    _QUERIES = (
        "audit",
        "directory",
        "approvals",
        "complaint_cards",
        "exposure",
        "credit_reports",
        "card_accounts",
        "reports",
        "campaign_follow_ups",
    )
    """What a book with a replica answers from the replica: its queries and reports."""

    def __init__(
        self,
        url: str | None = None,
        *,
        create: bool = True,
        replica: str | None = None,
        max_lag: float = 5.0,
        key_provider: KeyProvider | None = None,
        key_file: str | Path | None = None,
    ) -> None:
        self.store = parse_store_url(url, create=create)
        self._replica: _ReadSide | None = None
        self._kek = key_for(self.store, key_provider, key_file)
        self._key_given = (key_provider, key_file)
        try:
            self._open()
            if replica is not None:
                self._open_replica(replica, max_lag)
        except BaseException:  # a failed open leaves nothing behind, a new schema included
            self._abandon()
            raise

    def _helpers(self) -> ChildRebuilds | None:
        """Who rebuilds in other processes: none for a book in memory, which no other process
        can open, or for one given a key_provider object, which no other process can be
        given."""
        provider, key_file = self._key_given
        if self.store.kind == "memory" or provider is not None:
            return None
        url = self.store.url
        if self.store.kind == "sqlite":  # its absolute path: wherever the child starts
            url = f"sqlite:///{self.store.sqlite_path}"
        return ChildRebuilds(url, key_file=key_file)

    def _abandon(self) -> None:
        for part in ("_replica_app", "_replica_database", "app", "_database"):
            with suppress(Exception):
                getattr(self, part).close()
        with suppress(Exception):
            self.store.abandon()

    def _open(self) -> None:
        self._database = self.store.open_database()
        self.keys = KeyStore(self._database, self._kek)
        with self._database.creating():  # other processes may be opening this store too
            self.app = ClientBookApplication(
                self.store.env,
                mapper=lambda cipher, compressor: ClientBookMapper(
                    self.keys, compressor=compressor, cipher=cipher
                ),
            )
        self.app.idempotency.fingerprint = self.keys.fingerprint
        if self.store.kind != "memory":
            self.app.idempotency.positions = EventPositions(self._database)
        self.policy = PolicyService(self.app)
        self.customers = Customers(self.app, self.keys)
        self.leases = leases_for(self.store, self._database, holder=_holder())
        if self.keys.missing is None and self.keys.views_written_without_key:
            self._reopen_sealed_views()
        self.exclusive_wait = 3600.0
        """How long close of business or an import waits for another process's run."""
        counter = None if self.store.kind == "memory" else EventCounter(self._database)
        super().__init__(
            self.app,
            self._database,
            self.policy,
            operations=dict(
                records=SqlReadSideRecords(self._database),
                leases=self.leases,
                shadows=None if self.store.kind == "memory" else SqlShadows(self.store),
                wakeup=self._wakeup,
                transient=TRANSIENT_ERRORS,
                counter=counter,
                topic_counts=None if counter is None else counter.by_topic,
                helpers=self._helpers(),
            ),
            fields=SealedFields(self.keys),
        )
        self.complaints = Complaints(self.app, self.policy)
        self.credit = Credit(self.app, self.policy)
        self.cards = Cards(self.app, self.policy)
        self.customers.add_open_items_check(self.complaint_cards.open_items)
        self.customers.add_open_items_check(self.exposure.open_items)
        self.customers.add_open_items_check(self.card_accounts.open_items)
        self.managers = Managers(
            self.app,
            self.policy,
            lambda manager: [
                e.customer_id for e in self.directory.search(manager=manager, at_least=LATEST)
            ],
            self._assessment_figures,
        )
        self.customers.add_manager_check(self.managers.check_can_take)
        self.campaigns = Campaigns(
            self.app, self.policy, self._covered_by, self.campaign_follow_ups
        )
        refresh = self.projections.catch_up
        self._close_of_business = CloseOfBusiness(self.app, self.policy, refresh, self.exclusive)
        self._close_of_business.steps.extend(
            [
                MarkLapsedCustomers(self.app, self._directory_view),
                MarkOverdueComplaints(self.app, self.complaint_cards),
                AgeCreditLines(self.credit, self.exposure),
                RunCardCycle(self.app, self.card_accounts),
            ]
        )
        self.signing = signing_key_for(
            self.store.kind, self.store.sqlite_path, "this PostgreSQL book"
        )
        """Where the checkpoints' signing key comes from; an embedder may set its own."""
        self._trust: LogTrust | None = None
        if self.store.kind != "memory" and not isinstance(self.signing, NoKey):
            self._close_of_business.after_close.append(self._checkpoint_closed)

    def _assessment_figures(
        self, first: date, last: date, on: date
    ) -> dict[str, dict[str, Decimal | None]]:
        """The held indicators' figures per serving registered manager over a period: customers
        acquired (registered with them) less lost, their customers' contribution and card
        write-offs (the contribution report), their customers' average satisfaction."""
        managers = self.reports.managers(period_from=first, period_to=last, at_least=LATEST)
        serving = [r.manager for r in managers.rows if r.grade is not None and r.serving]
        value = self.reports.contribution(as_of=on, period_from=first, period_to=last)
        acquired = Counter(
            e.manager for e in self.directory.search() if first <= e.registered_on <= last
        )
        lost = Counter(c.manager for c in managers.lost)
        profit = {g.name: g.total for g in value.by_manager}
        cost: dict[str, Decimal] = {}
        for c in value.customers:
            cost[c.manager] = cost.get(c.manager, Decimal("0.00")) + c.written_off
        satisfaction = {r.manager: r.average_satisfaction for r in managers.rows}
        return {
            "volume": {m: Decimal(acquired[m] - lost[m]) for m in serving},
            "profit": {m: profit.get(m, Decimal("0.00")) for m in serving},
            "cost": {m: cost.get(m, Decimal("0.00")) for m in serving},
            "service": {m: satisfaction.get(m) for m in serving},
        }

    def _covered_by(self, tiers: Sequence[str]) -> list[tuple[UUID, str, str]]:
        """The customers a campaign for these tiers covers: open ones, as the directory has
        them at the head of the log."""
        return [
            (e.customer_id, e.number, e.manager)
            for e in self.directory.search(at_least=LATEST)
            if e.tier in tiers and e.status in ("prospect", "active", "dormant")
        ]

    def _open_replica(self, url: str, max_lag: float) -> None:
        """Queries and reports from a streaming replica of this book's PostgreSQL store
        (infrastructure/replica.py); commands, close of business and workers stay here."""
        if self.store.kind != "postgresql" or not url.startswith(("postgresql:", "postgres:")):
            raise StoreUrlError(
                f"a replica is a PostgreSQL streaming replica of a PostgreSQL book, not {url!r}"
            )
        replica = parse_store_url(url, create=False)
        self._replica_database = replica.open_database()
        keys = KeyStore(self._replica_database, self._kek)
        self._replica_app = ClientBookApplication(
            replica.env,
            mapper=lambda cipher, compressor: ClientBookMapper(
                keys, compressor=compressor, cipher=cipher
            ),
        )
        lag = ReplicaLag(self._database, self._replica_database, replica, max_lag)
        self._replica = _ReadSide(
            self._replica_app,
            self._replica_database,
            PolicyService(self._replica_app),
            runner=partial(ReplicaRunner, lag=lag, primary_head=lambda: self.head),
            fields=SealedFields(keys),
        )
        for name in self._QUERIES:
            setattr(self, name, getattr(self._replica, name))

    def _reopen_sealed_views(self) -> None:
        """Views written while the key was missing hold personal fields as unavailable: with
        the key back, they are marked out of date, and rebuilt from the log when next read."""
        records = SqlReadSideRecords(self._database)
        for name in (CustomerDirectoryProjection.name, ComplaintCardsProjection.name):
            records.set_version(name, 0)
        self.keys.views_rebuilt()

    @property
    def trust(self) -> LogTrust:
        """The log's hash chain, its signed checkpoints, verification and export."""
        if self._trust is None:
            # Imported here: clientbook.verify, which trust uses, also runs as a script
            # (python -m clientbook.verify), and must not be imported by the package first.
            from clientbook.infrastructure.trust import LogTrust

            self._trust = LogTrust(self._database, self.store.kind, self.signing)
        self._trust.signing = self.signing
        return self._trust

    def _checkpoint_closed(self, day: date) -> None:
        self.trust.checkpoint(on=day, note=f"close of business {day.isoformat()}")

    def _wakeup(self) -> Wakeup:
        """What a worker waits on between rounds: the log's NOTIFY on PostgreSQL, else its
        polling interval alone."""
        if self.store.kind == "postgresql":
            assert self.store.postgres_conninfo is not None
            recorder = cast(BoundedApplicationRecorder, self.app.recorder)
            return PostgresWakeup(self.store.postgres_conninfo, recorder.channel_name)
        return _Sleep()

    @property
    def personal_data_unavailable(self) -> str | None:
        """Why personal data cannot be read or written (which key is missing, where it was
        looked for), or None when the key is at hand."""
        if self.keys.missing is None:
            return None
        return (
            f"personal data cannot be read: this book's key-encryption key is missing "
            f"(looked for {self.keys.missing}); restore it, or give it with key_file=, "
            f"CLIENTBOOK_KEY or CLIENTBOOK_KEY_FILE"
        )

    @property
    def last_written(self) -> int:
        """The log position of the last event this thread wrote through this book (0 if none):
        give it to a query as `at_least=` to read your own writes."""
        return self.app.last_written

    def as_of(self, *, on: date | None = None, position: int | None = None) -> PastBook:
        """The book as it stood at a point of its history: its log up to `position` (default:
        the head now), without the events dated after the business date `on`. Every view
        query and report of the past book is computed from that part of the log alone."""
        head = self.head
        if position is not None and not 0 <= position <= head:
            raise InvalidValueError(
                f"log position {position} is outside the log, which ends at position {head}"
            )
        return PastBook(self.app, head if position is None else position, on)

    def find(self, key: str) -> UUID:
        """The aggregate a person names: an id, or a customer, card account, credit line or
        complaint number, or a group's name."""
        try:
            return UUID(key)
        except ValueError:
            pass
        for make_id in (customer_id, card_account_id, credit_line_id, complaint_id, group_id):
            candidate = make_id(key)
            if self.app.exists(candidate):
                return candidate
        raise NotFoundError(
            f"nothing in this book is called {key!r}: give an id, or a customer, card account, "
            "credit line or complaint number, or a group's name"
        )

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        create: bool = True,
        replica: str | None = None,
        max_lag: float = 5.0,
        key_provider: KeyProvider | None = None,
        key_file: str | Path | None = None,
    ) -> ClientBook:
        """Open a book: `sqlite:///path.db` (default ./clientbook.db), `postgresql://…`, `memory:`.
        `create=False` refuses a store that does not exist yet (StoreNotFoundError) instead of
        creating an empty one: for readers, to whom a mistyped path is a mistake. `replica`, the
        URL of a streaming replica of a PostgreSQL store, answers the queries and reports; one
        that trails the primary by more than `max_lag` seconds raises ReplicaBehind.
        `key_provider` (a KMS) or `key_file` gives the key-encryption key (infrastructure/kek.py);
        without them it comes from the environment or a key file beside the book."""
        return cls(
            url,
            create=create,
            replica=replica,
            max_lag=max_lag,
            key_provider=key_provider,
            key_file=key_file,
        )

    @checked("close_of_business")
    def close_of_business(self, on: date) -> CloseOfBusinessResult:
        """Run the daily steps for every business date not yet closed, up to `on`."""
        with collector_paused():  # the day's accounts are all in memory (collector.py)
            return self._close_of_business.run(on)

    def import_uci_cards(
        self,
        path: Path,
        *,
        rows: int | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> int:
        """Replay the UCI card data (see application/uci_import.py); returns events written.
        The whole file is read first, so a file that is not the data set's shape (or holds no
        card holder) is refused with ImportFileError before anything is written."""
        holders = read_uci_file(path, rows)
        source = hashlib.sha256(path.read_bytes()).hexdigest()[:16]  # the file, wherever it is
        with self.exclusive("import"), collector_paused():
            uci = UciImport(self.app, self.policy, self.close_of_business)
            return uci.run(holders, progress, source=source)

    def exclusive(self, name: str, wait: float | None = None) -> AbstractContextManager[None]:
        """Held by one process (one book) at a time: waits up to `wait` seconds (default
        `exclusive_wait`) for another holder to finish, then raises `BusyError`."""
        return hold(self.leases, f"exclusive:{name}", self.exclusive_wait if wait is None else wait)

    @property
    def last_business_date_closed(self) -> date | None:
        return self._close_of_business.last_closed()

    @property
    def head(self) -> int:
        """The position of the last event in the log (0 when empty)."""
        return self.app.recorder.max_notification_id() or 0

    def events(self, after: int = 0, page: int = 500) -> Iterator[LogRecord]:
        """The raw log from a position on, in order, as stored."""
        while True:
            notifications = self.app.recorder.select_notifications(
                start=after, limit=page, inclusive_of_start=False
            )
            for n in notifications:
                yield LogRecord(n.id, n.originator_id, n.originator_version, n.topic, n.state)  # type: ignore[arg-type]
            if len(notifications) < page:
                return
            after = notifications[-1].id

    def decoded_events(self, after: int = 0) -> Iterator[tuple[int, Any]]:
        """The log from a position on, decoded into domain events."""
        notifications = self.app.recorder.select_notifications(
            start=after, limit=10**9, inclusive_of_start=False
        )
        for start in range(0, len(notifications), LOAD_PAGE):  # a page's keys in one query
            page = notifications[start : start + LOAD_PAGE]
            yield from zip((n.id for n in page), decode_page(self.app.mapper, page))

    def close(self) -> None:
        self.leases.close()
        if self._replica is not None:
            self._replica_app.close()
            self._replica_database.close()
        self.app.close()
        self._database.close()

    def __enter__(self) -> ClientBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
