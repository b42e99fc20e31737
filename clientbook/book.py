"""The ClientBook facade: the composition root that wires domain, application, views and store."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterator
from uuid import UUID

from attrs import frozen

from clientbook.application.app import ClientBookApplication
from clientbook.application.cards import Cards, RunCardCycle
from clientbook.application.close_of_business import (
    CloseOfBusiness,
    CloseOfBusinessResult,
    MarkLapsedCustomers,
)
from clientbook.application.complaints import Complaints, MarkOverdueComplaints
from clientbook.application.credit import AgeCreditLines, Credit
from clientbook.application.credit_reports import CreditReports
from clientbook.application.customers import Customers
from clientbook.application.uci_import import UciImport, read_holders
from clientbook.application.policy import PolicyService
from clientbook.infrastructure.card_views import SqlCardAccountsView
from clientbook.infrastructure.complaint_views import SqlComplaintCardsView, SqlComplaintFactsView
from clientbook.infrastructure.credit_views import SqlExposureView
from clientbook.infrastructure.keys import KeyStore
from clientbook.infrastructure.mapper import ClientBookMapper
from clientbook.infrastructure.store import parse_store_url
from clientbook.infrastructure.views import (
    SqlAuditTrailView,
    SqlCustomerDirectoryView,
    SqlManagerReportView,
)
from clientbook.projections.audit import AuditTrailProjection
from clientbook.projections.cards import CardAccountsProjection
from clientbook.projections.complaints import ComplaintCardsProjection
from clientbook.projections.complaints_report import ComplaintFactsProjection
from clientbook.projections.directory import CustomerDirectoryProjection
from clientbook.projections.exposure import ExposureProjection
from clientbook.projections.managers import ManagerReportProjection
from clientbook.projections.queries import (
    AuditTrail,
    CardQueries,
    ComplaintQueries,
    Directory,
    ExposureQueries,
    Reports,
)
from clientbook.projections.runner import ProjectionRunner


@frozen
class LogRecord:
    """One stored event as it lies in the log: position, aggregate, version, topic, raw JSON."""

    position: int
    aggregate_id: UUID
    version: int
    topic: str
    state: bytes


class ClientBook:
    """A book of customers: one event log, its services, its views and its reports."""

    def __init__(self, url: str | None = None) -> None:
        self.store = parse_store_url(url)
        self._database = self.store.open_database()
        self.keys = KeyStore(self._database)
        self.app = ClientBookApplication(
            self.store.env,
            mapper=lambda cipher, compressor: ClientBookMapper(
                self.keys, compressor=compressor, cipher=cipher
            ),
        )
        audit = SqlAuditTrailView(self._database)
        directory = SqlCustomerDirectoryView(self._database)
        managers = SqlManagerReportView(self._database)
        cards = SqlComplaintCardsView(self._database)
        facts = SqlComplaintFactsView(self._database)
        exposure = SqlExposureView(self._database)
        card_view = SqlCardAccountsView(self._database)
        self.projections = ProjectionRunner(
            self.app,
            [
                AuditTrailProjection(audit),
                CustomerDirectoryProjection(directory),
                ManagerReportProjection(managers),
                ComplaintCardsProjection(cards),
                ComplaintFactsProjection(facts),
                ExposureProjection(exposure),
            CardAccountsProjection(card_view),
            ],
        )
        refresh = self.projections.catch_up
        self.policy = PolicyService(self.app)
        self.customers = Customers(self.app, self.keys)
        self.audit = AuditTrail(audit, refresh)
        self.directory = Directory(directory, refresh)
        self.complaints = Complaints(self.app, self.policy)
        self.complaint_cards = ComplaintQueries(cards, facts, refresh, self.app.name)
        self.reports = Reports(
            managers,
            lambda on: self.policy.in_force(on).manager_min_customers,
            refresh,
            self.app.name,
            self.complaint_cards,
        )
        self.credit = Credit(self.app, self.policy)
        self.exposure = ExposureQueries(exposure, refresh)
        self.credit_reports = CreditReports(self.app, self.policy, audit, refresh)
        self.customers.add_open_items_check(self.complaint_cards.open_items)
        self.cards = Cards(self.app, self.policy)
        self.card_accounts = CardQueries(card_view, self.policy.in_force, refresh, self.app.name)
        self.customers.add_open_items_check(self.exposure.open_items)
        self.customers.add_open_items_check(self.card_accounts.open_items)
        self._close_of_business = CloseOfBusiness(self.app, self.policy, refresh)
        self._close_of_business.steps.extend(
            [
                MarkLapsedCustomers(self.app, directory),
                MarkOverdueComplaints(self.app, self.complaint_cards),
                AgeCreditLines(self.credit, self.exposure),
            RunCardCycle(self.app, self.card_accounts),
            ]
        )

    @classmethod
    def open(cls, url: str | None = None) -> ClientBook:
        """Open a book: `sqlite:///path.db` (default ./clientbook.db), `postgresql://…`, `memory:`."""
        return cls(url)

    def close_of_business(self, on: date) -> CloseOfBusinessResult:
        """Run the daily steps for every business date not yet closed, up to `on`."""
        return self._close_of_business.run(on)

    def import_uci_cards(self, path: Path, *, rows: int | None = None,
                         progress: Callable[[str, int, int], None] | None = None) -> int:
        """Replay the UCI card data (see application/uci_import.py); returns events written."""
        holders = list(read_holders(path, rows))
        return UciImport(self.app, self.policy, self.close_of_business).run(holders, progress)

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
        mapper = self.app.mapper
        for notification in self.app.recorder.select_notifications(
            start=after, limit=10**9, inclusive_of_start=False
        ):
            yield notification.id, mapper.to_domain_event(notification)

    def close(self) -> None:
        self.app.close()
        self._database.close()

    def __enter__(self) -> ClientBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
