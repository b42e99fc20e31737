"""Customer commands and queries over the one log: load, give one command, save."""

from __future__ import annotations

from datetime import date
from typing import Any, Callable, Mapping, Protocol, Sequence
from uuid import UUID

from attrs import frozen

from clientbook.application.app import ClientBookApplication
from clientbook.application.keyed import idempotent, idempotent_as
from clientbook.domain.actor import Actor
from clientbook.domain.customer import (
    Customer,
    IdentityClaim,
    customer_id,
    normalise_document,
)
from clientbook.domain.money import Money
from clientbook.domain.errors import (
    ConflictError,
    DomainError,
    CustomerNotFoundError,
    DuplicateCustomerNumberError,
    IdentityDocumentTakenError,
)

OpenItems = Callable[[UUID], Sequence[str]]
"""Names the open credit lines, cards or complaints of a customer (later areas add theirs)."""

ManagerCheck = Callable[[str], None]
"""Raises a DomainError when the manager may not be given customers."""


class PersonalDataVault(Protocol):
    """Where the keys to personal data live: forgetting a subject's key erases its data."""

    legacy_claims: bool
    """The book holds identity claims from before they were keyed (unkeyed digests)."""

    def forget(self, subject: UUID) -> None: ...

    def document_key(self, document_number: str) -> str:
        """A keyed HMAC of a normalised identity document number: the claim's key."""
        ...


@frozen
class CustomerRecord:
    """A customer as it stands: an immutable copy, never the aggregate itself."""

    id: UUID
    version: int
    number: str
    kind: str
    name: str
    phone: str | None
    email: str | None
    address: str | None
    document_number: str | None
    manager: str
    segment: str
    tier: str
    status: str
    restricted: str | None
    visit_cycle_days: int | None
    registered_on: date
    last_seen: date
    last_contact: date | None
    lapsed: bool
    contacts: int
    surveys: tuple[tuple[date, str, int], ...]
    lost_reason: str | None
    erased: bool
    consents: tuple[tuple[str, str, date], ...] = ()
    """Consents standing: (kind, channel, given on), by kind."""
    withdrawn: tuple[str, ...] = ()
    """Kinds of consent withdrawn (contacts by their channels are refused)."""
    segment_proposal: tuple[str, str, str, date] | None = None
    """A segment change waiting for a second person: (segment, reason, proposer, date)."""
    contact_step: int = 1
    """Essay 5's step reached: 1 first visit, 2 named, 3 contact details (with consent)."""

    @classmethod
    def of(cls, c: Customer) -> CustomerRecord:
        return cls(
            id=c.id,
            version=c.version,
            number=c.number,
            kind=c.kind,
            name=c.name,
            phone=c.phone,
            email=c.email,
            address=c.address,
            document_number=c.document_number,
            manager=c.manager,
            segment=c.segment,
            tier=c.tier,
            status=c.status,
            restricted=c.restricted,
            visit_cycle_days=c.visit_cycle_days,
            registered_on=c.registered_on,
            last_seen=c.last_seen,
            last_contact=c.last_contact,
            lapsed=c.lapsed,
            contacts=c.contacts,
            surveys=tuple(c.surveys),
            lost_reason=c.lost_reason,
            erased=c.erased,
            consents=tuple((k, *c.consents[k]) for k in sorted(c.consents)),
            withdrawn=tuple(sorted(c.withdrawn)),
            segment_proposal=c.segment_proposal,
            contact_step=c.contact_step,
        )


class Customers:
    """Customer commands and queries, over the one ClientBook log."""

    area = "customers"
    """Its name on the book (`book.customers`), and in its commands' idempotency keys."""

    def __init__(self, app: ClientBookApplication, vault: PersonalDataVault) -> None:
        self._app = app
        self._vault = vault
        self._open_items: list[OpenItems] = []
        self._manager_checks: list[ManagerCheck] = []

    @staticmethod
    def personal_subject(arguments: Mapping[str, Any]) -> UUID:
        """Whose personal data a command's arguments hold (see Idempotency.fingerprinted)."""
        subject = arguments.get("customer")
        return subject if isinstance(subject, UUID) else customer_id(arguments["number"])

    def add_open_items_check(self, check: OpenItems) -> None:
        """Let another area say what a customer still has open (closing waits for it)."""
        self._open_items.append(check)

    def add_manager_check(self, check: ManagerCheck) -> None:
        """Let the managers area refuse a manager who may not take customers."""
        self._manager_checks.append(check)

    def _check_manager(self, manager: str) -> None:
        for check in self._manager_checks:
            check(manager)

    # -- queries --------------------------------------------------------------------------

    def get(self, customer: UUID) -> CustomerRecord:
        return CustomerRecord.of(self._load(customer))

    def id_of(self, number: str) -> UUID:
        """The id of the customer with this number; raises CustomerNotFoundError if none."""
        cid = customer_id(number)
        if not self._app.exists(cid):
            raise CustomerNotFoundError(f"there is no customer {number}")
        return cid

    # -- commands -------------------------------------------------------------------------

    @idempotent
    def register(
        self,
        *,
        number: str,
        kind: str,
        name: str,
        manager: str,
        by: Actor,
        on: date,
        phone: str | None = None,
        email: str | None = None,
        address: str | None = None,
        document_number: str | None = None,
        segment: str = "potential",
        tier: str = "none",
        visit_cycle_days: int | None = None,
        consent: str | None = None,
        idempotency_key: str | None = None,
    ) -> UUID:
        """Register a customer; its number and identity document must not be taken. Contact
        details need `consent`: the channel by which the customer consented to them."""
        customer = Customer.register(
            number=number,
            kind=kind,
            name=name,
            manager=manager,
            by=by.id,
            on=on,
            phone=phone,
            email=email,
            address=address,
            document_number=document_number,
            segment=segment,
            tier=tier,
            visit_cycle_days=visit_cycle_days,
            consent=consent,
        )
        # A taken number is found by the save: the customer's id is the number's, so its first
        # event is refused by the store's uniqueness (no read before the save); a check that
        # refuses first says so only if the number is free.
        try:
            self._check_manager(customer.manager)
            claim = self._claim(document_number, customer.id, by) if document_number else None
        except DomainError:
            if self._app.exists(customer.id):
                raise DuplicateCustomerNumberError(f"customer number {number} is taken") from None
            raise
        try:
            self._app.save_all(customer, *([claim] if claim else []))
        except ConflictError:  # another writer registered the number or claimed the document
            if self._app.exists(customer.id):
                raise DuplicateCustomerNumberError(f"customer number {number} is taken") from None
            raise IdentityDocumentTakenError(
                f"identity document {document_number} was just registered to another customer"
            ) from None
        return customer.id

    @idempotent
    def record_identity_document(
        self,
        customer: UUID,
        document_number: str,
        *,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        """Record (or replace) the identity document; the old one's claim is released."""
        c = self._load(customer)
        previous = c.record_identity_document(document_number, by=by.id, on=on)
        claims = [self._claim(document_number, c.id, by)]
        if previous is not None:
            claims.extend(self._released(previous, by))
        self._app.save_all(c, *claims)

    @idempotent
    def update_profile(
        self,
        customer: UUID,
        *,
        by: Actor,
        on: date,
        name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        address: str | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(
            customer,
            lambda c: c.update_profile(
                by=by.id, on=on, name=name, phone=phone, email=email, address=address
            ),
        )

    @idempotent
    def reassign_manager(
        self,
        customer: UUID,
        manager: str,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        def reassign(c: Customer) -> None:
            c.reassign_manager(manager, reason=reason, by=by.id, on=on)
            self._check_manager(c.manager)

        self._do(customer, reassign)

    @idempotent
    def change_segment(
        self,
        customer: UUID,
        segment: str,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(customer, lambda c: c.change_segment(segment, reason=reason, by=by.id, on=on))

    @idempotent
    def propose_segment(
        self,
        customer: UUID,
        segment: str,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        """✋ Propose a segment change (premium and restricted need one) for another person."""
        self._do(customer, lambda c: c.propose_segment(segment, reason=reason, by=by.id, on=on))

    @idempotent
    def approve_segment(
        self, customer: UUID, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        self._do(customer, lambda c: c.approve_segment(by=by.id, on=on))

    @idempotent
    def reject_segment(
        self,
        customer: UUID,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(customer, lambda c: c.reject_segment(reason=reason, by=by.id, on=on))

    @idempotent
    def report_contribution(
        self,
        customer: UUID,
        *,
        source: str,
        period_from: date,
        period_to: date,
        amount: Money,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        """Bring in what the customer contributed outside clientbook (deposits, other products)
        over a period, from `source` (the system that reports it)."""
        self._do(
            customer,
            lambda c: c.report_contribution(
                source=source,
                period_from=period_from,
                period_to=period_to,
                amount=amount,
                by=by.id,
                on=on,
            ),
        )

    @idempotent
    def give_consent(
        self,
        customer: UUID,
        kind: str,
        *,
        channel: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        """Record a consent (phone, email, address, marketing) and the channel it came by."""
        self._do(customer, lambda c: c.give_consent(kind, channel=channel, by=by.id, on=on))

    @idempotent
    def withdraw_consent(
        self,
        customer: UUID,
        kind: str,
        *,
        channel: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        """The customer withdraws a consent: its detail is hidden, its channels refused."""
        self._do(customer, lambda c: c.withdraw_consent(kind, channel=channel, by=by.id, on=on))

    @idempotent
    def change_tier(
        self,
        customer: UUID,
        tier: str,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(customer, lambda c: c.change_tier(tier, reason=reason, by=by.id, on=on))

    @idempotent
    def record_contact(
        self,
        customer: UUID,
        *,
        channel: str,
        purpose: str,
        outcome: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(
            customer,
            lambda c: c.record_contact(
                channel=channel, purpose=purpose, outcome=outcome, by=by.id, on=on
            ),
        )

    @idempotent
    def set_visit_cycle(
        self,
        customer: UUID,
        days: int | None,
        *,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(customer, lambda c: c.set_visit_cycle(days, by=by.id, on=on))

    @idempotent
    def record_survey(
        self,
        customer: UUID,
        *,
        channel: str,
        score: int,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(customer, lambda c: c.record_survey(channel=channel, score=score, by=by.id, on=on))

    @idempotent
    def activate(
        self, customer: UUID, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        self._do(customer, lambda c: c.activate(by=by.id, on=on))

    @idempotent
    def mark_dormant(
        self,
        customer: UUID,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(customer, lambda c: c.mark_dormant(reason=reason, by=by.id, on=on))

    @idempotent
    def mark_lost(
        self,
        customer: UUID,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(customer, lambda c: c.mark_lost(reason=reason, by=by.id, on=on))

    @idempotent
    def reactivate(
        self,
        customer: UUID,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(customer, lambda c: c.reactivate(reason=reason, by=by.id, on=on))

    @idempotent
    def restrict(
        self,
        customer: UUID,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(customer, lambda c: c.restrict(reason=reason, by=by.id, on=on))

    @idempotent
    def lift_restriction(
        self,
        customer: UUID,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(customer, lambda c: c.lift_restriction(reason=reason, by=by.id, on=on))

    @idempotent
    def close(
        self,
        customer: UUID,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        """Close the customer; refused while another area reports something still open."""
        open_items = [item for check in self._open_items for item in check(customer)]
        self._do(customer, lambda c: c.close(open_items=open_items, reason=reason, by=by.id, on=on))

    def erase_personal_data(
        self,
        customer: UUID,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        """Erase a closed customer's personal data: its key is forgotten, the log stays intact.
        The key is forgotten after the erasure is written, on a keyed retry too."""
        self._record_erasure(customer, reason=reason, by=by, on=on, idempotency_key=idempotency_key)
        self._vault.forget(customer)

    @idempotent_as("erase_personal_data")
    def _record_erasure(
        self,
        customer: UUID,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        c = self._load(customer)
        if c.erased:
            return
        document = c.document_number
        c.erase_personal_data(reason=reason, by=by.id, on=on)
        # the document may be registered again, to a new customer
        claims = [] if document is None else self._released(document, by)
        self._app.save_all(c, *claims)

    # -- helpers --------------------------------------------------------------------------

    def _load(self, customer: UUID) -> Customer:
        return self._app.get(Customer, customer, "customer", CustomerNotFoundError)

    def _do(self, customer: UUID, command: Callable[[Customer], object]) -> None:
        self._app.change(Customer, customer, "customer", CustomerNotFoundError, command)

    def claim_id(self, document_number: str) -> UUID:
        """The identity claim's id for a document: from a keyed HMAC of its number, so the
        log's ids give no way to test a guessed number."""
        return IdentityClaim.create_id(self._claim_key(document_number))

    def _claim_key(self, document_number: str) -> str:
        return self._vault.document_key(normalise_document(document_number))

    def _claims_of(self, document_number: str) -> list[IdentityClaim]:
        """The document's claims that exist: the keyed one, and in a book from before keyed
        claims, the unkeyed one it may still hold."""
        ids = [self.claim_id(document_number)]
        if self._vault.legacy_claims:
            ids.append(IdentityClaim.id_for(document_number))
        return [
            self._app.get(IdentityClaim, i, "identity claim") for i in ids if self._app.exists(i)
        ]

    def _released(self, document_number: str, by: Actor) -> list[IdentityClaim]:
        claims = [c for c in self._claims_of(document_number) if c.customer_id is not None]
        for claim in claims:
            claim.release(by=by.id)
        return claims

    def _claim(self, document_number: str, owner: UUID, by: Actor) -> IdentityClaim:
        claims = self._claims_of(document_number)
        if any(c.customer_id is not None for c in claims):
            raise IdentityDocumentTakenError(
                f"identity document {document_number} already belongs to another customer"
            )
        keyed = [c for c in claims if c.id == self.claim_id(document_number)]
        if not keyed:
            return IdentityClaim(
                document_key=self._claim_key(document_number), customer_id=owner, by=by.id
            )
        keyed[0].reclaim(owner, by=by.id)
        return keyed[0]
