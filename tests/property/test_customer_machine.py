"""A state machine over one book: random valid and invalid customer commands against a small model.

After every step the customers read back must equal the model (and, at random points, so must
the customers replayed from the stored events past the aggregate cache, and the views); the
store must keep the rules of DOMAIN.md (status transitions, one manager, scores 1-5, one owner
per identity document, lapsed exactly when the rule says so after close of business); and a
refused command must have written nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import attrs
import pytest
from attrs import define, field
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule

from _stores import KINDS, OnAStore, run_on

from clientbook import (
    Actor,
    ClientBook,
    ConsentError,
    CustomerClosedError,
    CustomerNotFoundError,
    DomainError,
    DuplicateCustomerNumberError,
    FourEyesError,
    IdentityDocumentTakenError,
    InvalidInput,
    InvalidTransitionError,
    InvalidValueError,
    ReasonRequiredError,
)
from clientbook.application.customers import CustomerRecord
from clientbook.domain.customer import Customer, IdentityClaim, customer_id
from clientbook.testing import actors, customer_numbers, customer_registrations

# -- the model's own vocabulary (DOMAIN.md § Customer), independent of clientbook's constants ------

GRACE_DAYS = 3  # policy default: lapsed when not seen for the usual cycle plus these days
TIER_CYCLES = {"vip": 90, "a": 60, "b": 30}  # policy defaults, for customers without a cycle
MAX_CYCLE_DAYS = 3660  # a usual visit cycle is at most ten years
ERASED = "[erased]"
START = date(2026, 1, 5)
NUMBERS = ("C-000001", "C-000002", "C-000003")  # the first two are registered at the start
MANAGERS = ("u-wang", "u-li", "u-zhao")
DOCUMENTS = {  # as typed -> as compared (no spaces, upper case)
    "110101199003070011": "110101199003070011",
    "1101 0119 9003 0700 11": "110101199003070011",
    "g12345678": "G12345678",
    "G 1234 5678": "G12345678",
    "E7654321": "E7654321",
}
SEGMENTS = ("potential", "ordinary", "major", "premium", "restricted")
TIERS = ("vip", "a", "b", "none")
CHANNELS = ("visit", "call", "message", "email", "counter", "video")
PURPOSES = ("follow_up", "courtesy", "sales", "service", "complaint", "collection", "other")
SURVEY_CHANNELS = ("counter", "phone", "online", "app", "visit", "mail")
CONTACT_DETAILS = ("phone", "email", "address")
CONSENT_KINDS = (*CONTACT_DETAILS, "marketing")
CONSENT_CHANNELS = ("in_person", "phone", "online", "written", "app")
CONSENT_FOR_CONTACT = {
    "call": "phone",
    "message": "phone",
    "video": "phone",
    "email": "email",
    "visit": "address",
}
TWO_PEOPLE_SEGMENTS = ("premium", "restricted")  # entered on a proposal another person approves
OPEN = ("prospect", "active", "dormant", "lost")
LOOKED_AFTER = ("prospect", "active", "dormant")
ALLOWED_MOVES = {
    ("prospect", "active"),
    ("active", "dormant"),
    ("active", "lost"),
    ("dormant", "lost"),
    ("dormant", "active"),
    ("lost", "active"),
    *((status, "closed") for status in OPEN),
}
BLANK = ("", "   ")
BAD_PHONES = ("12", "call me")
BAD_EMAILS = ("no-at-sign", "li@")
BAD_REGISTRATIONS = (
    ("number", "C-12"),
    ("number", "c-000001"),
    ("kind", "person"),
    ("name", "  "),
    ("manager", ""),
    ("phone", "12"),
    ("email", "@example.cn"),
    ("segment", "gold"),
    ("tier", "A"),
    ("visit_cycle_days", 0),
    ("visit_cycle_days", True),
    ("visit_cycle_days", 10**5),
    ("document_number", " "),
    ("consent", None),  # contact details without the customer's consent
    ("consent", "pigeon"),
)

ACTORS = actors(ids=st.sampled_from(["u-clerk", "u-wang"]), roles=st.just({"officer"}))
OFFSETS = st.integers(-2, 2)  # business dates around the machine's today, back-dated included
TARGETS = st.sampled_from(NUMBERS)
CHOICES = st.integers(0, 4 * len(NUMBERS) - 1)  # see CustomerMachine.pick
REASONS = st.sampled_from(["the customer asked", "branch review", "annual review", *BLANK])


def registrations(numbers: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    return customer_registrations(
        numbers=numbers,
        documents=st.sampled_from(sorted(DOCUMENTS)),
        managers=st.sampled_from(MANAGERS),
        actors=ACTORS,
    )


CYCLES = st.one_of(st.none(), st.integers(1, 8))


@define
class Expected:
    """One customer as the model expects to read it back from the store."""

    number: str
    kind: str
    name: str
    manager: str
    phone: str | None
    email: str | None
    address: str | None
    document_number: str | None
    segment: str
    tier: str
    visit_cycle_days: int | None
    registered_on: date
    last_seen: date
    status: str = "prospect"
    restricted: str | None = None
    last_contact: date | None = None
    lapsed: bool = False
    contacts: int = 0
    surveys: list[tuple[date, str, int]] = field(factory=list)
    lost_reason: str | None = None
    erased: bool = False
    consents: dict[str, tuple[str, date]] = field(factory=dict)
    withdrawn: set[str] = field(factory=set)
    segment_proposal: tuple[str, str, str, date] | None = None
    version: int = 1

    def as_record(self, cid: UUID) -> dict[str, Any]:
        return {
            **attrs.asdict(self, recurse=False),
            "id": cid,
            "surveys": tuple(self.surveys),
            "consents": tuple((k, *self.consents[k]) for k in sorted(self.consents)),
            "withdrawn": tuple(sorted(self.withdrawn)),
            "contact_step": self.contact_step,
        }

    @property
    def contact_step(self) -> int:
        """Essay 5: contact details with consent (3), known by name (2), first visit (1)."""
        if any(kind in self.consents for kind in CONTACT_DETAILS):
            return 3
        return 2 if self.contacts or self.status != "prospect" else 1

    def lapses_on(self, day: date) -> bool:
        """The rule: not seen for the usual cycle plus the grace days (while looked after)."""
        cycle = cycle_of(self.visit_cycle_days, self.tier)
        return (
            cycle is not None
            and self.status in LOOKED_AFTER
            and day >= self.last_seen + timedelta(days=cycle + GRACE_DAYS)
        )


def cycle_of(own: int | None, tier: str) -> int | None:
    """The usual visit cycle: the customer's own, else their tier's."""
    return own if own is not None else TIER_CYCLES.get(tier)


def _blank(value: object) -> bool:
    return not isinstance(value, str) or not value.strip()


class CustomerMachine(OnAStore):
    def __init__(self) -> None:
        super().__init__()
        self.book = self.open_book()
        self.model: dict[str, Expected] = {}
        self.claims: dict[str, str | None] = {}  # document as compared -> owner's number
        self.today = START
        self.last_closed: date | None = None
        self.statuses: dict[str, str] = {}  # the status last read from the store

    def teardown(self) -> None:
        self.close_book(self.book)

    # -- giving a command ----------------------------------------------------------------------

    def give(
        self, command: Callable[[], object], refusal: type[DomainError] | None, events: int = 1
    ) -> bool:
        """Give a command; the model says which refusal (or none) and how many events it writes."""
        head = self.book.head
        try:
            command()
        except DomainError as error:
            assert refusal is not None, f"refused, but the model accepts it: {error!r}"
            assert type(error) is refusal, f"expected {refusal.__name__}, got {error!r}"
            assert self.book.head == head, f"the refused command wrote to the log: {error!r}"
            return False
        assert refusal is None, f"accepted, but the model expects {refusal.__name__}"
        assert self.book.head == head + events, "the command wrote an unexpected number of events"
        return True

    def open_customer(self, number: str) -> tuple[Expected | None, type[DomainError] | None]:
        customer = self.model.get(number)
        if customer is None:
            return None, CustomerNotFoundError
        if customer.status == "closed":
            return customer, CustomerClosedError
        return customer, None

    def on(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    # -- registration and profile --------------------------------------------------------------

    @initialize(
        first=registrations(st.just(NUMBERS[0])),
        second=registrations(st.just(NUMBERS[1])),
        cycles=st.tuples(st.integers(1, 5), CYCLES),
    )
    def open_the_book(
        self, first: dict[str, Any], second: dict[str, Any], cycles: tuple[int | None, int | None]
    ) -> None:
        self.register(first, cycles[0], None, 0)
        self.register(second, cycles[1], None, 0)

    @rule(
        registration=registrations(TARGETS),
        cycle=CYCLES,
        offset=OFFSETS,
        bad=st.one_of(st.none(), st.sampled_from(BAD_REGISTRATIONS)),
    )
    def register(
        self,
        registration: dict[str, Any],
        cycle: int | None,
        bad: tuple[str, Any] | None,
        offset: int,
    ) -> None:
        kwargs = {**registration, "visit_cycle_days": cycle, "on": self.on(offset)}
        if bad is not None:
            kwargs[bad[0]] = bad[1]
        number, raw_document = kwargs["number"], kwargs.get("document_number")
        document = DOCUMENTS.get(raw_document) if raw_document is not None else None
        details = [k for k in CONTACT_DETAILS if kwargs.get(k)]
        consent = kwargs.get("consent")
        refusal: type[DomainError] | None = None
        if bad == ("consent", None):  # contact details need the channel of the consent
            refusal = ConsentError if details else None
        elif bad is not None:  # a wrong type is refused at the edge, before the rules' own checks
            refusal = InvalidValueError if type(bad[1]) in (int, str) else InvalidInput
        elif number in self.model:
            refusal = DuplicateCustomerNumberError
        elif document is not None and self.claims.get(document) is not None:
            refusal = IdentityDocumentTakenError
        if refusal is None and bad is not None and number in self.model:
            refusal = DuplicateCustomerNumberError
        if (
            refusal is None
            and bad is not None
            and document is not None
            and self.claims.get(document) is not None
        ):
            refusal = IdentityDocumentTakenError
        events = 1 + len(details) + (0 if document is None else 1)
        if self.give(lambda: self.book.customers.register(**kwargs), refusal, events):
            on = kwargs["on"]
            self.model[number] = Expected(
                number=number,
                kind=kwargs["kind"],
                name=kwargs["name"],
                manager=kwargs["manager"],
                phone=kwargs.get("phone"),
                email=kwargs.get("email"),
                address=kwargs.get("address"),
                document_number=document,
                segment=kwargs.get("segment", "potential"),
                tier=kwargs.get("tier", "none"),
                visit_cycle_days=cycle,
                registered_on=on,
                last_seen=on,
                consents={kind: (consent, on) for kind in details},
                version=1 + len(details),  # Registered, then a consent per detail given
            )
            if document is not None:
                self.claims[document] = number

    @rule(
        number=TARGETS,
        offset=OFFSETS,
        actor=ACTORS,
        name=st.one_of(st.none(), st.sampled_from(["Wang Fang", "王芳", *BLANK])),
        phone=st.one_of(st.none(), st.sampled_from(["+86 10 8888 0000", "", *BAD_PHONES])),
        email=st.one_of(st.none(), st.sampled_from(["wf@example.cn", "", *BAD_EMAILS])),
        address=st.one_of(st.none(), st.sampled_from(["1 Jianguo Road", ""])),
    )
    def update_profile(
        self,
        number: str,
        offset: int,
        actor: Actor,
        name: str | None,
        phone: str | None,
        email: str | None,
        address: str | None,
    ) -> None:
        customer, refusal = self.open_customer(number)
        given = {"name": name, "phone": phone, "email": email, "address": address}
        changes: dict[str, str | None] = {}
        if refusal is None and customer is not None:
            if name is not None and _blank(name) or phone in BAD_PHONES or email in BAD_EMAILS:
                refusal = InvalidValueError
            elif any(given[k] and k not in customer.consents for k in CONTACT_DETAILS):
                refusal = ConsentError  # a detail is recorded only while its consent stands
            else:  # "" clears a detail: clearing one the customer does not have changes nothing
                changes = {
                    k: v or None
                    for k, v in given.items()
                    if v is not None and (v or None) != getattr(customer, k)
                }
                refusal = None if changes else InvalidValueError
        if self.give(
            lambda: self.book.customers.update_profile(
                customer_id(number), by=actor, on=self.on(offset), **given
            ),
            refusal,
        ):
            assert customer is not None
            for key, value in changes.items():
                setattr(customer, key, value)
            customer.version += 1

    @rule(
        number=TARGETS, offset=OFFSETS, actor=ACTORS, raw=st.sampled_from([*sorted(DOCUMENTS), " "])
    )
    def record_identity_document(self, number: str, offset: int, actor: Actor, raw: str) -> None:
        customer, refusal = self.open_customer(number)
        document = DOCUMENTS.get(raw)
        if refusal is None and customer is not None:
            if document is None or document == customer.document_number:
                refusal = InvalidValueError
            elif self.claims.get(document) is not None:
                refusal = IdentityDocumentTakenError
        previous = customer.document_number if customer is not None else None
        events = 2 if previous is None else 3
        if self.give(
            lambda: self.book.customers.record_identity_document(
                customer_id(number), raw, by=actor, on=self.on(offset)
            ),
            refusal,
            events,
        ):
            assert customer is not None and document is not None
            if previous is not None:
                self.claims[previous] = None
            self.claims[document] = number
            customer.document_number = document
            customer.version += 1

    # -- manager, segment, tier ----------------------------------------------------------------

    @rule(
        number=TARGETS,
        offset=OFFSETS,
        actor=ACTORS,
        reason=REASONS,
        manager=st.sampled_from([*MANAGERS, " u-li ", *BLANK]),
    )
    def reassign_manager(
        self, number: str, offset: int, actor: Actor, reason: str, manager: str
    ) -> None:
        customer, refusal = self.open_customer(number)
        if refusal is None and customer is not None:
            if _blank(manager) or manager.strip() == customer.manager:
                refusal = InvalidValueError
            elif _blank(reason):
                refusal = ReasonRequiredError
        if self.give(
            lambda: self.book.customers.reassign_manager(
                customer_id(number), manager, reason=reason, by=actor, on=self.on(offset)
            ),
            refusal,
        ):
            assert customer is not None
            customer.manager = manager.strip()
            customer.version += 1

    @rule(
        number=TARGETS,
        offset=OFFSETS,
        actor=ACTORS,
        reason=REASONS,
        segment=st.sampled_from([*SEGMENTS, "gold"]),
    )
    def change_segment(
        self, number: str, offset: int, actor: Actor, reason: str, segment: str
    ) -> None:
        self._change(
            number,
            "segment",
            segment,
            SEGMENTS,
            reason,
            lambda cid, on: self.book.customers.change_segment(
                cid, segment, reason=reason, by=actor, on=on
            ),
            offset,
        )

    @rule(
        number=TARGETS,
        offset=OFFSETS,
        actor=ACTORS,
        reason=REASONS,
        tier=st.sampled_from([*TIERS, "A"]),
    )
    def change_tier(self, number: str, offset: int, actor: Actor, reason: str, tier: str) -> None:
        self._change(
            number,
            "tier",
            tier,
            TIERS,
            reason,
            lambda cid, on: self.book.customers.change_tier(
                cid, tier, reason=reason, by=actor, on=on
            ),
            offset,
        )

    def _change(
        self,
        number: str,
        what: str,
        value: str,
        allowed: tuple[str, ...],
        reason: str,
        command: Callable[[UUID, date], None],
        offset: int,
    ) -> None:
        customer, refusal = self.open_customer(number)
        if refusal is None and customer is not None:
            if value not in allowed or value == getattr(customer, what):
                refusal = InvalidValueError
            elif what == "segment" and value in TWO_PEOPLE_SEGMENTS:
                refusal = FourEyesError
            elif _blank(reason):
                refusal = ReasonRequiredError
        if self.give(lambda: command(customer_id(number), self.on(offset)), refusal):
            assert customer is not None
            setattr(customer, what, value)
            if what == "segment":
                customer.segment_proposal = None
            customer.version += 1

    @rule(
        number=TARGETS,
        offset=OFFSETS,
        actor=ACTORS,
        reason=REASONS,
        segment=st.sampled_from([*SEGMENTS, "gold"]),
    )
    def propose_segment(
        self, number: str, offset: int, actor: Actor, reason: str, segment: str
    ) -> None:
        customer, refusal = self.open_customer(number)
        if refusal is None and customer is not None:
            if segment not in SEGMENTS or segment == customer.segment:
                refusal = InvalidValueError
            elif customer.segment_proposal is not None:
                refusal = InvalidTransitionError
            elif _blank(reason):
                refusal = ReasonRequiredError
        on = self.on(offset)
        if self.give(
            lambda: self.book.customers.propose_segment(
                customer_id(number), segment, reason=reason, by=actor, on=on
            ),
            refusal,
        ):
            assert customer is not None
            customer.segment_proposal = (segment, reason.strip(), actor.id, on)
            customer.version += 1

    @rule(number=TARGETS, offset=OFFSETS, actor=ACTORS)
    def approve_segment(self, number: str, offset: int, actor: Actor) -> None:
        """Four eyes: the machine's two actors approve each other's proposals."""
        customer, refusal = self.open_customer(number)
        proposal = None if customer is None else customer.segment_proposal
        if customer is not None and proposal is None:
            refusal = InvalidTransitionError  # nothing to approve, closed or not
        elif refusal is None and proposal is not None and proposal[2] == actor.id:
            refusal = FourEyesError
        if self.give(
            lambda: self.book.customers.approve_segment(
                customer_id(number), by=actor, on=self.on(offset)
            ),
            refusal,
        ):
            assert customer is not None and proposal is not None
            customer.segment, customer.segment_proposal = proposal[0], None
            customer.version += 1

    @rule(number=TARGETS, offset=OFFSETS, actor=ACTORS, reason=REASONS)
    def reject_segment(self, number: str, offset: int, actor: Actor, reason: str) -> None:
        customer = self.model.get(number)
        refusal: type[DomainError] | None = None
        if customer is None:
            refusal = CustomerNotFoundError
        elif customer.segment_proposal is None:
            refusal = InvalidTransitionError
        elif _blank(reason):
            refusal = ReasonRequiredError
        if self.give(
            lambda: self.book.customers.reject_segment(
                customer_id(number), reason=reason, by=actor, on=self.on(offset)
            ),
            refusal,
        ):
            assert customer is not None
            customer.segment_proposal = None
            customer.version += 1

    # -- consent -------------------------------------------------------------------------------

    @rule(
        number=TARGETS,
        offset=OFFSETS,
        actor=ACTORS,
        kind=st.sampled_from([*CONSENT_KINDS, "fax"]),
        channel=st.sampled_from([*CONSENT_CHANNELS, "pigeon"]),
    )
    def give_consent(self, number: str, offset: int, actor: Actor, kind: str, channel: str) -> None:
        customer, refusal = self.open_customer(number)
        if (
            refusal is None
            and customer is not None
            and (
                kind not in CONSENT_KINDS
                or channel not in CONSENT_CHANNELS
                or kind in customer.consents
            )
        ):
            refusal = InvalidValueError
        on = self.on(offset)
        if self.give(
            lambda: self.book.customers.give_consent(
                customer_id(number), kind, channel=channel, by=actor, on=on
            ),
            refusal,
        ):
            assert customer is not None
            customer.consents[kind] = (channel, on)
            customer.withdrawn.discard(kind)
            customer.version += 1

    @rule(
        number=TARGETS,
        offset=OFFSETS,
        actor=ACTORS,
        kind=st.sampled_from([*CONSENT_KINDS, "fax"]),
        channel=st.sampled_from([*CONSENT_CHANNELS, "pigeon"]),
    )
    def withdraw_consent(
        self, number: str, offset: int, actor: Actor, kind: str, channel: str
    ) -> None:
        """A closed customer may still withdraw a consent (not give one)."""
        customer = self.model.get(number)
        refusal: type[DomainError] | None = None
        if customer is None:
            refusal = CustomerNotFoundError
        elif kind not in CONSENT_KINDS or channel not in CONSENT_CHANNELS:
            refusal = InvalidValueError
        elif kind not in customer.consents:
            refusal = InvalidTransitionError
        if self.give(
            lambda: self.book.customers.withdraw_consent(
                customer_id(number), kind, channel=channel, by=actor, on=self.on(offset)
            ),
            refusal,
        ):
            assert customer is not None
            del customer.consents[kind]
            customer.withdrawn.add(kind)
            if kind in CONTACT_DETAILS:  # hidden whatever it held, erased or not
                setattr(customer, kind, None)
            customer.version += 1

    # -- contacts, visit cycle, surveys --------------------------------------------------------

    @rule(
        number=TARGETS,
        offset=OFFSETS,
        actor=ACTORS,
        channel=st.sampled_from([*CHANNELS, "fax"]),
        purpose=st.sampled_from([*PURPOSES, "gossip"]),
        outcome=st.sampled_from(["will visit next week", "left a message", "no answer", *BLANK]),
    )
    def record_contact(
        self, number: str, offset: int, actor: Actor, channel: str, purpose: str, outcome: str
    ) -> None:
        customer, refusal = self.open_customer(number)
        if refusal is None and (channel not in CHANNELS or purpose not in PURPOSES):
            refusal = InvalidValueError
        elif (
            refusal is None
            and customer is not None
            and CONSENT_FOR_CONTACT.get(channel) in customer.withdrawn
        ):
            refusal = ConsentError
        elif refusal is None and _blank(outcome):
            refusal = InvalidValueError
        on = self.on(offset)
        if self.give(
            lambda: self.book.customers.record_contact(
                customer_id(number),
                channel=channel,
                purpose=purpose,
                outcome=outcome,
                by=actor,
                on=on,
            ),
            refusal,
        ):
            assert customer is not None
            customer.contacts += 1
            customer.last_contact = (
                on if customer.last_contact is None else max(customer.last_contact, on)
            )
            customer.last_seen = max(customer.last_seen, on)
            customer.lapsed = False
            customer.version += 1

    @rule(
        number=TARGETS,
        offset=OFFSETS,
        actor=ACTORS,
        days=st.one_of(CYCLES, st.sampled_from([0, -3, True, MAX_CYCLE_DAYS + 1])),
    )
    def set_visit_cycle(self, number: str, offset: int, actor: Actor, days: Any) -> None:
        customer, refusal = self.open_customer(number)
        if refusal is None and customer is not None:
            valid = days is None or (type(days) is int and 1 <= days <= MAX_CYCLE_DAYS)
            if not valid or days == customer.visit_cycle_days:
                refusal = InvalidValueError
        if days is not None and type(days) is not int:  # the edge refuses it before any rule
            refusal = InvalidInput
        if self.give(
            lambda: self.book.customers.set_visit_cycle(
                customer_id(number), days, by=actor, on=self.on(offset)
            ),
            refusal,
        ):
            assert customer is not None  # a new cycle clears the lapse until judged again
            customer.visit_cycle_days, customer.lapsed = days, False
            customer.version += 1

    @rule(
        number=TARGETS,
        offset=OFFSETS,
        actor=ACTORS,
        channel=st.sampled_from([*SURVEY_CHANNELS, "pigeon"]),
        score=st.one_of(st.integers(1, 5), st.sampled_from([-1, 0, 6, 10, True])),
    )
    def record_survey(
        self, number: str, offset: int, actor: Actor, channel: str, score: Any
    ) -> None:
        customer, refusal = self.open_customer(number)
        if refusal is None and (
            channel not in SURVEY_CHANNELS or type(score) is not int or not 1 <= score <= 5
        ):
            refusal = InvalidValueError
        if type(score) is not int:  # the edge refuses a wrong type before any rule
            refusal = InvalidInput
        on = self.on(offset)
        if self.give(
            lambda: self.book.customers.record_survey(
                customer_id(number), channel=channel, score=score, by=actor, on=on
            ),
            refusal,
        ):
            assert customer is not None
            customer.surveys.append((on, channel, score))
            customer.version += 1

    # -- lifecycle -----------------------------------------------------------------------------

    def pick(self, choice: int, statuses: tuple[str, ...]) -> str:
        """A customer number from a choice: mostly one of a customer in one of `statuses`."""
        fitting = sorted(n for n, c in self.model.items() if c.status in statuses and not c.erased)
        if not fitting or choice >= 3 * len(NUMBERS):
            return NUMBERS[choice % len(NUMBERS)]
        return fitting[choice % len(fitting)]

    def _move(
        self,
        number: str,
        method: str,
        allowed: tuple[str, ...],
        reason: str | None,
        offset: int,
        actor: Actor,
    ) -> Expected | None:
        """A status change: refused from a status not allowed, or without a reason."""
        customer, refusal = self.open_customer(number)
        if refusal is None and customer is not None:
            if customer.status not in allowed:
                refusal = InvalidTransitionError
            elif reason is not None and _blank(reason):
                refusal = ReasonRequiredError
        kwargs: dict[str, Any] = {"by": actor, "on": self.on(offset)}
        if reason is not None:
            kwargs["reason"] = reason
        command = getattr(self.book.customers, method)
        if self.give(lambda: command(customer_id(number), **kwargs), refusal):
            assert customer is not None
            customer.version += 1
            return customer
        return None

    @rule(choice=CHOICES, offset=OFFSETS, actor=ACTORS)
    def activate(self, choice: int, offset: int, actor: Actor) -> None:
        number = self.pick(choice, ("prospect",))
        customer = self._move(number, "activate", ("prospect",), None, offset, actor)
        if customer is not None:
            customer.status = "active"

    @rule(choice=CHOICES, offset=OFFSETS, actor=ACTORS, reason=REASONS)
    def mark_dormant(self, choice: int, offset: int, actor: Actor, reason: str) -> None:
        number = self.pick(choice, ("active",))
        customer = self._move(number, "mark_dormant", ("active",), reason, offset, actor)
        if customer is not None:
            customer.status = "dormant"

    @rule(choice=CHOICES, offset=OFFSETS, actor=ACTORS, reason=REASONS)
    def mark_lost(self, choice: int, offset: int, actor: Actor, reason: str) -> None:
        number = self.pick(choice, ("active", "dormant"))
        customer = self._move(number, "mark_lost", ("active", "dormant"), reason, offset, actor)
        if customer is not None:
            customer.status, customer.lost_reason, customer.lapsed = "lost", reason.strip(), False

    @rule(choice=CHOICES, offset=OFFSETS, actor=ACTORS, reason=REASONS)
    def reactivate(self, choice: int, offset: int, actor: Actor, reason: str) -> None:
        number = self.pick(choice, ("dormant", "lost"))
        customer = self._move(number, "reactivate", ("dormant", "lost"), reason, offset, actor)
        if customer is not None:
            customer.status, customer.lost_reason, customer.lapsed = "active", None, False
            customer.last_seen = max(customer.last_seen, self.on(offset))  # seen: no longer lapsed

    @rule(number=TARGETS, offset=OFFSETS, actor=ACTORS, reason=REASONS)
    def restrict(self, number: str, offset: int, actor: Actor, reason: str) -> None:
        current = self.model.get(number)
        unrestricted = OPEN if current is None or current.restricted is None else ()
        customer = self._move(number, "restrict", unrestricted, reason, offset, actor)
        if customer is not None:
            customer.restricted = reason.strip()

    @rule(number=TARGETS, offset=OFFSETS, actor=ACTORS, reason=REASONS)
    def lift_restriction(self, number: str, offset: int, actor: Actor, reason: str) -> None:
        current = self.model.get(number)
        restricted = OPEN if current is None or current.restricted is not None else ()
        customer = self._move(number, "lift_restriction", restricted, reason, offset, actor)
        if customer is not None:
            customer.restricted = None

    @rule(number=TARGETS, offset=OFFSETS, actor=ACTORS, reason=REASONS)
    def close(self, number: str, offset: int, actor: Actor, reason: str) -> None:
        customer = self._move(number, "close", OPEN, reason, offset, actor)
        if customer is not None:
            customer.status, customer.lapsed = "closed", False

    @rule(choice=CHOICES, offset=OFFSETS, actor=ACTORS, reason=REASONS)
    def erase_personal_data(self, choice: int, offset: int, actor: Actor, reason: str) -> None:
        number = self.pick(choice, ("closed",))
        customer = self.model.get(number)
        refusal: type[DomainError] | None = None
        events = 0  # erasing again does nothing, and is not refused
        if customer is None:
            refusal = CustomerNotFoundError
        elif not customer.erased:
            events = 1 if customer.document_number is None else 2
            if customer.status != "closed":
                refusal = InvalidTransitionError
            elif _blank(reason):
                refusal = ReasonRequiredError
        if (
            self.give(
                lambda: self.book.customers.erase_personal_data(
                    customer_id(number), reason=reason, by=actor, on=self.on(offset)
                ),
                refusal,
                events,
            )
            and events
        ):
            assert customer is not None
            if customer.document_number is not None:
                self.claims[customer.document_number] = None
            customer.name, customer.erased = ERASED, True
            for key in ("phone", "email", "address", "document_number"):
                if getattr(customer, key) is not None:
                    setattr(customer, key, ERASED)
            customer.version += 1

    # -- close of business ---------------------------------------------------------------------

    @rule(days=st.integers(-1, 14))
    def close_of_business(self, days: int) -> None:
        through = self.today + timedelta(days=days)
        first = through if self.last_closed is None else self.last_closed + timedelta(days=1)
        dates = [first + timedelta(days=n) for n in range((through - first).days + 1)]
        expected = []
        for day in dates:
            lapsing = [c for c in self.model.values() if not c.lapsed and c.lapses_on(day)]
            for customer in lapsing:
                customer.lapsed = True
                customer.version += 1
            expected.append((day, len(lapsing)))
        head = self.book.head
        result = self.book.close_of_business(through)
        assert [(day.on, day.changes["lapsed_customers"]) for day in result.days] == expected
        lapses = sum(count for _, count in expected)
        assert result.changes == lapses, "a book of customers only: no other step changes anything"
        opened = 1 if self.last_closed is None and dates else 0
        keys = sum(1 for _, count in expected if count)  # a date's lapses are saved with its key
        assert self.book.head == head + opened + len(dates) + lapses + keys
        if dates:
            self.last_closed, self.today = through, max(self.today, through)
            assert self.book.last_business_date_closed == through
            self._lapsed_iff_the_rule_says_so(through)

    def _lapsed_iff_the_rule_says_so(self, day: date) -> None:
        for number in self.model:
            record = self.book.customers.get(customer_id(number))
            cycle = cycle_of(record.visit_cycle_days, record.tier)
            due = None if cycle is None else record.last_seen + timedelta(days=cycle + GRACE_DAYS)
            rule_says = record.status in LOOKED_AFTER and due is not None and day >= due
            assert record.lapsed == rule_says, (
                f"after close of business on {day}, {number} has lapsed={record.lapsed}, but it "
                f"was last seen {record.last_seen} with a cycle of {cycle} days "
                f"and status {record.status}"
            )

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def the_store_keeps_the_rules_and_equals_the_model(self) -> None:
        owners: dict[str, str] = {}
        for number in NUMBERS:
            cid = customer_id(number)
            if number not in self.model:
                with pytest.raises(CustomerNotFoundError):
                    self.book.customers.get(cid)
                continue
            record = self.book.customers.get(cid)
            previous = self.statuses.get(number, record.status)
            assert previous == record.status or (previous, record.status) in ALLOWED_MOVES, (
                f"{number} moved from {previous} to {record.status}"
            )
            self.statuses[number] = record.status
            assert record.manager.strip() == record.manager != "", "one manager, named"
            assert all(type(score) is int and 1 <= score <= 5 for _, _, score in record.surveys)
            document = record.document_number
            if document is not None and document != ERASED:
                assert document not in owners, f"{document}: {owners[document]} and {number}"
                owners[document] = number
            assert attrs.asdict(record) == self.model[number].as_record(cid)

    @invariant()
    def an_identity_document_belongs_to_one_customer_only(self) -> None:
        for document, owner in self.claims.items():
            claim_id = self.book.customers.claim_id(document)
            claim: IdentityClaim = self.book.app.repository.get(claim_id)
            assert claim.customer_id == (None if owner is None else customer_id(owner))

    @rule()  # a rule, not an invariant: reading everything afresh at random points costs less
    def the_stored_events_and_the_views_agree_with_the_model(self) -> None:
        for number, expected in self.model.items():
            cid = customer_id(number)
            # with a version the repository replays the stored events and skips its cache
            replayed: Customer = self.book.app.repository.get(cid, version=2**62)
            assert attrs.asdict(CustomerRecord.of(replayed)) == expected.as_record(cid)
        entries = self.book.directory.search()
        assert [entry.number for entry in entries] == sorted(self.model)
        for entry in entries:
            expected = self.model[entry.number]
            assert (entry.manager, entry.status, entry.lapsed, entry.name) == (
                expected.manager,
                expected.status,
                expected.lapsed,
                expected.name,
            )
        report = self.book.reports.managers(
            period_from=date(2000, 1, 1), period_to=date(2100, 1, 1)
        )
        looked_after = Counter(c.manager for c in self.model.values() if c.status in LOOKED_AFTER)
        assert {row.manager: row.customers for row in report.rows if row.customers} == dict(
            looked_after
        )


CustomerMachine.TestCase.settings = settings(
    stateful_step_count=50,
    report_multiple_bugs=False,
    phases=[p for p in Phase if p is not Phase.explain],  # explaining costs minutes here
)
TestCustomerMachine = CustomerMachine.TestCase


@pytest.mark.parametrize("kind", KINDS)
def test_the_customer_machine_on_a_real_database(kind: str) -> None:
    """Fewer, shorter examples on a SQLite file and a PostgreSQL schema: the real recorders,
    views and round trips through the mapper, inside the suite's time budget."""
    run_on(CustomerMachine, kind, examples=2, steps=20)


# -- the machine's findings, each on its own -------------------------------------------------------

OFFICER = Actor("u-clerk", roles={"officer"})


def _register(book: ClientBook, number: str = "C-000001", **extra: Any) -> UUID:
    return book.customers.register(
        number=number,
        kind="individual",
        name="Li Lei",
        manager="u-wang",
        by=OFFICER,
        on=START,
        **extra,
    )


def test_a_reactivated_customer_is_not_lapsed_after_the_next_close_of_business(
    book: ClientBook,
) -> None:
    cid = _register(book, visit_cycle_days=1)
    book.customers.activate(cid, by=OFFICER, on=START)
    book.close_of_business(START + timedelta(days=10))  # not seen for 10 days: lapsed
    assert book.customers.get(cid).lapsed
    book.customers.mark_dormant(
        cid, reason="no business", by=OFFICER, on=START + timedelta(days=11)
    )
    book.customers.reactivate(cid, reason="came back", by=OFFICER, on=START + timedelta(days=12))

    book.close_of_business(START + timedelta(days=12))

    customer = book.customers.get(cid)
    assert customer.last_seen == START + timedelta(days=12)
    assert not customer.lapsed, "seen today with a cycle of 1 day, yet still lapsed"


def test_clearing_a_contact_detail_the_customer_does_not_have_is_refused(book: ClientBook) -> None:
    cid = _register(book)  # no phone
    head = book.head
    with pytest.raises(InvalidValueError, match="changes nothing"):
        book.customers.update_profile(cid, phone="", by=OFFICER, on=START)
    assert book.head == head


@given(number=customer_numbers())
@example(number="C-000001")
def test_a_customer_number_is_refused_with_anything_after_it_or_non_ascii_digits(
    number: str,
) -> None:
    arabic_indic = number.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    with ClientBook.open("memory:") as book:
        for malformed in (number + "\n", arabic_indic):
            with pytest.raises(InvalidValueError, match="not of the form C-000123"):
                _register(book, malformed)
        assert book.head == 0


def test_a_phone_number_with_anything_after_it_is_refused(book: ClientBook) -> None:
    cid = _register(book)
    head = book.head
    for phone in ("+86 10 8888 0000\n", "13800138000\n"):
        with pytest.raises(InvalidValueError, match="is not a phone number"):
            _register(book, "C-000002", phone=phone)
        with pytest.raises(InvalidValueError, match="is not a phone number"):
            book.customers.update_profile(cid, phone=phone, by=OFFICER, on=START)
    assert book.head == head
