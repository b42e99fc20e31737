"""The customer: profile, relationship manager, contacts, segment, tier and lifecycle."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from typing import ClassVar, Sequence
from uuid import UUID

from eventsourcing.domain import event

from clientbook.domain.base import BookAggregate, business_key_id
from clientbook.domain.checks import require_reason as _reason
from clientbook.domain.four_eyes import require_four_eyes
from clientbook.domain.money import Money
from clientbook.domain.errors import (
    ConsentError,
    CustomerClosedError,
    FourEyesError,
    IdentityDocumentTakenError,
    InvalidTransitionError,
    InvalidValueError,
    OpenItemsError,
)

KINDS = ("individual", "organisation")
SEGMENTS = ("potential", "ordinary", "major", "premium", "restricted")
TIERS = ("vip", "a", "b", "none")
STATUSES = ("prospect", "active", "dormant", "lost", "closed")
CHANNELS = ("visit", "call", "message", "email", "counter", "video")
PURPOSES = ("follow_up", "courtesy", "sales", "service", "complaint", "collection", "other")
SURVEY_CHANNELS = ("counter", "phone", "online", "app", "visit", "mail")
ERASED = "[erased]"
FOUR_EYES_SEGMENTS = ("premium", "restricted")
"""Segments a customer enters only on a proposal another person approves (✋)."""
CONTACT_DETAILS = ("phone", "email", "address")
CONSENT_KINDS = (*CONTACT_DETAILS, "marketing")
CONSENT_CHANNELS = ("in_person", "phone", "online", "written", "app")
"""How the customer gave (or withdrew) a consent."""
CONSENT_FOR_CONTACT = {
    "call": "phone",
    "message": "phone",
    "video": "phone",
    "email": "email",
    "visit": "address",
}
"""The consent a contact by each channel uses: withdrawn, it refuses such contacts (a contact at
the counter uses none)."""
CONTACT_STEPS = {1: "first visit", 2: "named", 3: "contact details"}
"""Essay 5's three steps: a prospect met, then known by name, then reachable with consent."""
UNAVAILABLE = "[unavailable: key missing]"
"""A personal field read while the book's key-encryption key is missing (it is not erased)."""
PERSONAL = frozenset({"name", "phone", "email", "address", "document_number"})
_NUMBER = re.compile(r"C-[0-9]{6,}")
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{4,}")


def customer_id(number: str) -> UUID:
    """The id of the customer with this number: the same number always gives the same id."""
    return business_key_id("customer", number)


def _one_of(value: str, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise InvalidValueError(f"{what} {value!r} is not one of: {', '.join(allowed)}")
    return value


def _required(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(f"{what} is required")
    return value.strip()


def check_contact_details(phone: str | None, email: str | None) -> None:
    """Refuse a phone number or e-mail address that cannot be used to reach anyone."""
    if phone and not _PHONE.fullmatch(phone):
        raise InvalidValueError(f"phone {phone!r} is not a phone number (digits, spaces, +, -, ())")
    if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
        raise InvalidValueError(f"e-mail {email!r} is not an e-mail address")


def comparable_phone(phone: str) -> str:
    """A phone number as compared for a lookup: its digits, and a leading + if it has one."""
    digits = re.sub(r"[^0-9]", "", phone)
    return f"+{digits}" if phone.strip().startswith("+") and digits else digits


def normalise_document(document_number: str) -> str:
    """An identity document number as compared for uniqueness: no spaces, upper case."""
    return re.sub(r"\s+", "", _required(document_number, "identity document number")).upper()


class Customer(BookAggregate):
    """A customer of the institution, looked after by one relationship manager."""

    class Event(BookAggregate.Event):
        personal_fields: ClassVar[frozenset[str]] = PERSONAL

    @staticmethod
    def create_id(number: str) -> UUID:
        return customer_id(number)

    @classmethod
    def register(
        cls,
        *,
        number: str,
        kind: str,
        name: str,
        manager: str,
        by: str,
        on: date,
        phone: str | None = None,
        email: str | None = None,
        address: str | None = None,
        document_number: str | None = None,
        segment: str = "potential",
        tier: str = "none",
        visit_cycle_days: int | None = None,
        consent: str | None = None,
    ) -> Customer:
        """Check a registration and create the customer (saved by the caller). Contact details
        are recorded only with consent: `consent` is the channel by which the customer gave it
        for the details given, each recorded as a consent of its kind."""
        if not isinstance(number, str) or not _NUMBER.fullmatch(number):
            raise InvalidValueError(f"customer number {number!r} is not of the form C-000123")
        _one_of(kind, KINDS, "customer kind")
        _one_of(segment, SEGMENTS, "segment")
        _one_of(tier, TIERS, "service tier")
        check_contact_details(phone, email)
        _check_cycle(visit_cycle_days)
        document = None if document_number is None else normalise_document(document_number)
        given = [k for k, v in (("phone", phone), ("email", email), ("address", address)) if v]
        if given and consent is None:
            raise ConsentError(
                f"customer {number}: {', '.join(given)} can be recorded only with the customer's "
                "consent: give consent= with the channel by which they gave it "
                f"({', '.join(CONSENT_CHANNELS)})"
            )
        if consent is not None:
            _one_of(consent, CONSENT_CHANNELS, "consent channel")
            if not given:
                raise InvalidValueError(
                    f"customer {number}: consent= is for the contact details given, and none "
                    "is; record a consent on its own with give_consent"
                )
        customer = cls(
            number=number,
            kind=kind,
            name=_required(name, "customer name"),
            manager=_required(manager, "relationship manager"),
            phone=phone,
            email=email,
            address=address,
            document_number=document,
            segment=segment,
            tier=tier,
            visit_cycle_days=visit_cycle_days,
            by=by,
            on=on,
        )
        for kind in given:
            assert consent is not None
            customer._consent_given(kind, consent, by, on)
        return customer

    @event("Registered")
    def __init__(
        self,
        number: str,
        kind: str,
        name: str,
        manager: str,
        phone: str | None,
        email: str | None,
        address: str | None,
        document_number: str | None,
        segment: str,
        tier: str,
        visit_cycle_days: int | None,
        by: str,
        on: date,
    ) -> None:
        self.number, self.kind, self.name, self.manager = number, kind, name, manager
        self.phone, self.email, self.address = phone, email, address
        self.document_number = document_number
        self.segment, self.tier, self.visit_cycle_days = segment, tier, visit_cycle_days
        self.status = "prospect"
        self.registered_on = self.last_seen = on
        self.restricted: str | None = None
        self.lapsed = False
        self.last_contact: date | None = None
        self.contacts = 0
        self.surveys: list[tuple[date, str, int]] = []
        self.lost_reason: str | None = None
        self.erased = False

        self.consents: dict[str, tuple[str, date]] = {}
        """Consents standing, by kind: the channel and date each was given (replaced, never
        changed in place, by the consent events)."""
        self.withdrawn: frozenset[str] = frozenset()
        """Kinds of consent withdrawn and not given again."""
        self.segment_proposal: tuple[str, str, str, date] | None = None
        """A segment change waiting for a second person: (segment, reason, proposer, date)."""

    # -- profile -------------------------------------------------------------------------

    def update_profile(
        self,
        *,
        by: str,
        on: date,
        name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        address: str | None = None,
    ) -> None:
        """Change the given personal details; None leaves a detail as it is, "" clears it."""
        self._require_open("its profile cannot be updated")
        if name is not None:
            name = _required(name, "customer name")  # trimmed, as at registration
        check_contact_details(phone, email)
        for kind, value in (("phone", phone), ("email", email), ("address", address)):
            if value:
                self._require_consent(kind)
        given = dict(name=name, phone=phone, email=email, address=address)
        changes = {
            k: v for k, v in given.items() if v is not None and (v or None) != getattr(self, k)
        }
        if not changes:
            raise InvalidValueError(f"customer {self.number}: the profile update changes nothing")
        self._profile_updated(
            by=by, on=on, **{k: changes.get(k) for k in ("name", "phone", "email", "address")}
        )

    @event("ProfileUpdated")
    def _profile_updated(
        self,
        name: str | None,
        phone: str | None,
        email: str | None,
        address: str | None,
        by: str,
        on: date,
    ) -> None:
        for field, value in (
            ("name", name),
            ("phone", phone),
            ("email", email),
            ("address", address),
        ):
            if value is not None:
                setattr(self, field, value or None)

    def record_identity_document(self, document_number: str, *, by: str, on: date) -> str | None:
        """Record the identity document; returns the one it replaces (its claim is released)."""
        self._require_open("its identity document cannot be recorded")
        document = normalise_document(document_number)
        if document == self.document_number:
            raise InvalidValueError(f"customer {self.number} already has this identity document")
        previous = self.document_number
        self._identity_document_recorded(document, by, on)
        return previous

    @event("IdentityDocumentRecorded")
    def _identity_document_recorded(self, document_number: str, by: str, on: date) -> None:
        self.document_number = document_number

    # -- relationship manager, segment, tier ----------------------------------------------

    def reassign_manager(self, manager: str, *, reason: str, by: str, on: date) -> None:
        self._require_open("it cannot be reassigned")
        manager = _required(manager, "relationship manager")
        if manager == self.manager:
            raise InvalidValueError(f"customer {self.number} is already looked after by {manager}")
        self._manager_reassigned(self.manager, manager, _reason(reason, "a reassignment"), by, on)

    @event("ManagerReassigned")
    def _manager_reassigned(
        self, previous: str, manager: str, reason: str, by: str, on: date
    ) -> None:
        self.manager = manager

    def change_segment(self, segment: str, *, reason: str, by: str, on: date) -> None:
        """Move to a segment that needs no second person (see `propose_segment`)."""
        self._check_segment(segment)
        if segment in FOUR_EYES_SEGMENTS:
            raise FourEyesError(
                f"customer {self.number}: segment {segment} needs a second person; propose it "
                "(propose_segment) and another person approves it"
            )
        self._segment_changed(self.segment, segment, _reason(reason, "a segment change"), by, on)

    def propose_segment(self, segment: str, *, reason: str, by: str, on: date) -> None:
        """✋ Propose a segment change (premium and restricted need one), for another person to
        approve or reject; one proposal at a time."""
        self._check_segment(segment)
        if self.segment_proposal is not None:
            pending, _, proposer, _ = self.segment_proposal
            raise InvalidTransitionError(
                f"customer {self.number} already has a proposal to move to segment {pending} "
                f"by {proposer}; approve or reject it first"
            )
        self._segment_proposed(segment, _reason(reason, "a segment proposal"), by, on)

    @event("SegmentChangeProposed")
    def _segment_proposed(self, segment: str, reason: str, by: str, on: date) -> None:
        self.segment_proposal = (segment, reason, by, on)

    def approve_segment(self, *, by: str, on: date) -> None:
        """✋ Another person than the proposer moves the customer to the proposed segment."""
        segment, reason, proposer = self._pending_segment("approved")
        self._require_open("its segment cannot change")
        require_four_eyes(proposer, by, f"the segment change of customer {self.number}")
        self._segment_changed(self.segment, segment, reason, by, on)

    def reject_segment(self, *, reason: str, by: str, on: date) -> None:
        segment, _, _ = self._pending_segment("rejected")
        self._segment_rejected(segment, _reason(reason, "rejecting a segment proposal"), by, on)

    @event("SegmentProposalRejected")
    def _segment_rejected(self, segment: str, reason: str, by: str, on: date) -> None:
        self.segment_proposal = None

    def _pending_segment(self, what: str) -> tuple[str, str, str]:
        if self.segment_proposal is None:
            raise InvalidTransitionError(
                f"customer {self.number} has no segment proposal to be {what}"
            )
        segment, reason, proposer, _ = self.segment_proposal
        return segment, reason, proposer

    def _check_segment(self, segment: str) -> None:
        self._require_open("its segment cannot change")
        if _one_of(segment, SEGMENTS, "segment") == self.segment:
            raise InvalidValueError(f"customer {self.number} is already in segment {segment}")

    @event("SegmentChanged")
    def _segment_changed(self, previous: str, segment: str, reason: str, by: str, on: date) -> None:
        self.segment = segment
        self.segment_proposal = None

    # -- customer value -------------------------------------------------------------------

    def report_contribution(
        self, *, source: str, period_from: date, period_to: date, amount: Money, by: str, on: date
    ) -> None:
        """Record what the customer brought in from outside clientbook (deposits, other
        products) over a period, as the embedding bank's `source` reports it. A closed
        customer's past periods are still reported."""
        source = _required(source, "contribution source")
        if period_from > period_to:
            raise InvalidValueError(
                f"a contribution's period starts {period_from}, after its end {period_to}"
            )
        if period_from > on:
            raise InvalidValueError(
                f"a contribution is reported for a period begun by {on}; this one starts "
                f"{period_from}"
            )
        if amount.is_zero:
            raise InvalidValueError("a reported contribution of zero changes nothing")
        self._contribution_reported(source, period_from, period_to, amount, by, on)

    @event("ContributionReported")
    def _contribution_reported(
        self, source: str, period_from: date, period_to: date, amount: Money, by: str, on: date
    ) -> None:
        pass  # counted by the contribution report; the customer's own state is unchanged

    # -- consent (essay 5's three steps) --------------------------------------------------

    def give_consent(self, kind: str, *, channel: str, by: str, on: date) -> None:
        """Record the customer's consent of a kind (phone, email, address, marketing)."""
        self._require_open("a consent cannot be recorded")
        _one_of(kind, CONSENT_KINDS, "consent kind")
        _one_of(channel, CONSENT_CHANNELS, "consent channel")
        if kind in self.consents:
            given, since = self.consents[kind]
            raise InvalidValueError(
                f"customer {self.number}'s {kind} consent already stands (given {since} by {given})"
            )
        self._consent_given(kind, channel, by, on)

    @event("ConsentGiven")
    def _consent_given(self, kind: str, channel: str, by: str, on: date) -> None:
        self.consents = {**self.consents, kind: (channel, on)}
        self.withdrawn = self.withdrawn - {kind}

    def withdraw_consent(self, kind: str, *, channel: str, by: str, on: date) -> None:
        """The customer withdraws a consent: its contact detail is hidden from every view (the
        sealed value stays in the log) and contacts by its channels are refused."""
        _one_of(kind, CONSENT_KINDS, "consent kind")
        _one_of(channel, CONSENT_CHANNELS, "consent channel")
        if kind not in self.consents:
            raise InvalidTransitionError(
                f"customer {self.number} has no {kind} consent standing to withdraw"
            )
        self._consent_withdrawn(kind, channel, by, on)

    @event("ConsentWithdrawn")
    def _consent_withdrawn(self, kind: str, channel: str, by: str, on: date) -> None:
        self.consents = {k: v for k, v in self.consents.items() if k != kind}
        self.withdrawn = self.withdrawn | {kind}
        if kind in CONTACT_DETAILS:  # hidden whatever it held: from a log read after an
            setattr(self, kind, None)  # erasure the sealed value comes back as `[erased]`

    @property
    def contact_step(self) -> int:
        """Which of the three steps (`CONTACT_STEPS`) the relationship has reached."""
        if any(kind in self.consents for kind in CONTACT_DETAILS):
            return 3
        return 2 if self.contacts or self.status != "prospect" else 1

    def _require_consent(self, kind: str) -> None:
        if kind not in self.consents:
            raise ConsentError(
                f"customer {self.number}: a {kind} detail is recorded only while the customer's "
                f"{kind} consent stands; record it first (give_consent)"
            )

    def change_tier(self, tier: str, *, reason: str, by: str, on: date) -> None:
        self._require_open("its service tier cannot change")
        if _one_of(tier, TIERS, "service tier") == self.tier:
            raise InvalidValueError(f"customer {self.number} already has service tier {tier}")
        self._tier_changed(self.tier, tier, _reason(reason, "a tier change"), by, on)

    @event("TierChanged")
    def _tier_changed(self, previous: str, tier: str, reason: str, by: str, on: date) -> None:
        self.tier = tier

    # -- contacts, visit cycle, lapse, surveys --------------------------------------------

    def record_contact(
        self, *, channel: str, purpose: str, outcome: str, by: str, on: date
    ) -> None:
        """Record a follow-up, visit, call or message; it clears a lapse."""
        self._require_open("a contact cannot be recorded")
        _one_of(channel, CHANNELS, "contact channel")
        _one_of(purpose, PURPOSES, "contact purpose")
        withdrawn = CONSENT_FOR_CONTACT.get(channel)
        if withdrawn in self.withdrawn:
            raise ConsentError(
                f"customer {self.number} withdrew their {withdrawn} consent; no contact by "
                f"{channel} until they give it again"
            )
        self._contact_recorded(channel, purpose, _required(outcome, "contact outcome"), by, on)

    @event("ContactRecorded")
    def _contact_recorded(
        self, channel: str, purpose: str, outcome: str, by: str, on: date
    ) -> None:
        self.contacts += 1
        self.last_contact = on if self.last_contact is None else max(self.last_contact, on)
        self.last_seen = max(self.last_seen, on)
        self.lapsed = False

    def set_visit_cycle(self, days: int | None, *, by: str, on: date) -> None:
        """Set (or, with None, clear) the usual visit cycle; a lapse is judged again under it."""
        self._require_open("its visit cycle cannot be set")
        _check_cycle(days)
        if days == self.visit_cycle_days:
            raise InvalidValueError(
                f"customer {self.number} already has a visit cycle of {days} days"
            )
        self._visit_cycle_set(days, by, on)

    @event("VisitCycleSet")
    def _visit_cycle_set(self, days: int | None, by: str, on: date) -> None:
        self.visit_cycle_days = days
        self.lapsed = False  # judged again under the new cycle at the next close of business

    def lapse_due(self, grace_days: int, tier_cycle_days: int | None = None) -> date | None:
        """The first business date on which the customer counts as lapsed, if not seen by then:
        after their own visit cycle, or (without one) their tier's (`tier_cycle_days`, from
        policy), plus the grace days."""
        cycle = self.visit_cycle_days if self.visit_cycle_days is not None else tier_cycle_days
        if cycle is None or self.status in ("lost", "closed"):
            return None
        return self.last_seen + timedelta(days=cycle + grace_days)

    def is_lapsing(self, on: date, grace_days: int, tier_cycle_days: int | None = None) -> bool:
        due = self.lapse_due(grace_days, tier_cycle_days)
        return not self.lapsed and due is not None and on >= due

    def mark_lapsed(
        self, *, grace_days: int, by: str, on: date, tier_cycle_days: int | None = None
    ) -> None:
        """Mark the customer lapsed: not seen for the usual cycle plus the grace days."""
        if not self.is_lapsing(on, grace_days, tier_cycle_days):
            cycle = self.visit_cycle_days or tier_cycle_days
            raise InvalidTransitionError(
                f"customer {self.number} is not lapsed on {on}: last seen {self.last_seen}, "
                f"cycle {cycle} days, grace {grace_days} days"
            )
        self._lapsed(self.last_seen, grace_days, by, on)

    @event("Lapsed")
    def _lapsed(self, last_seen: date, grace_days: int, by: str, on: date) -> None:
        self.lapsed = True

    def record_survey(self, *, channel: str, score: int, by: str, on: date) -> None:
        self._require_open("a survey cannot be recorded")
        _one_of(channel, SURVEY_CHANNELS, "survey channel")
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise InvalidValueError(
                f"satisfaction score {score!r} is not a whole number from 1 to 5"
            )
        self._survey_recorded(channel, score, by, on)

    @event("SurveyRecorded")
    def _survey_recorded(self, channel: str, score: int, by: str, on: date) -> None:
        self.surveys.append((on, channel, score))

    # -- lifecycle ------------------------------------------------------------------------

    def activate(self, *, by: str, on: date) -> None:
        self._require_status(("prospect",), "be activated")
        self._activated(by, on)

    @event("Activated")
    def _activated(self, by: str, on: date) -> None:
        self.status = "active"

    def mark_dormant(self, *, reason: str, by: str, on: date) -> None:
        self._require_status(("active",), "become dormant")
        self._made_dormant(_reason(reason, "marking a customer dormant"), by, on)

    @event("MadeDormant")
    def _made_dormant(self, reason: str, by: str, on: date) -> None:
        self.status = "dormant"

    def mark_lost(self, *, reason: str, by: str, on: date) -> None:
        """The customer has left; the exit interview's reason is required."""
        self._require_status(("active", "dormant"), "be marked lost")
        self._lost(_reason(reason, "a lost customer (the exit interview's reason)"), by, on)

    @event("Lost")
    def _lost(self, reason: str, by: str, on: date) -> None:
        self.status, self.lost_reason, self.lapsed = "lost", reason, False

    def reactivate(self, *, reason: str, by: str, on: date) -> None:
        self._require_status(("dormant", "lost"), "be reactivated")
        self._reactivated(_reason(reason, "a reactivation"), by, on)

    @event("Reactivated")
    def _reactivated(self, reason: str, by: str, on: date) -> None:
        self.status, self.lost_reason, self.lapsed = "active", None, False
        self.last_seen = max(self.last_seen, on)

    def restrict(self, *, reason: str, by: str, on: date) -> None:
        """Restrict the customer: no new credit until the restriction is lifted."""
        self._require_open("it cannot be restricted")
        if self.restricted is not None:
            raise InvalidTransitionError(
                f"customer {self.number} is already restricted: {self.restricted}"
            )
        self._restricted(_reason(reason, "a restriction"), by, on)

    @event("Restricted")
    def _restricted(self, reason: str, by: str, on: date) -> None:
        self.restricted = reason

    def lift_restriction(self, *, reason: str, by: str, on: date) -> None:
        self._require_open("its restriction cannot be lifted")
        if self.restricted is None:
            raise InvalidTransitionError(f"customer {self.number} is not restricted")
        self._restriction_lifted(_reason(reason, "lifting a restriction"), by, on)

    @event("RestrictionLifted")
    def _restriction_lifted(self, reason: str, by: str, on: date) -> None:
        self.restricted = None

    def close(self, *, open_items: Sequence[str], reason: str, by: str, on: date) -> None:
        """Close the customer; refused while any credit line, card or complaint is open."""
        self._require_open("it cannot be closed again")
        if open_items:
            raise OpenItemsError(
                f"customer {self.number} still has open: {', '.join(open_items)}; close them first"
            )
        self._closed(_reason(reason, "closing a customer"), by, on)

    @event("Closed")
    def _closed(self, reason: str, by: str, on: date) -> None:
        self.status, self.lapsed = "closed", False

    def erase_personal_data(self, *, reason: str, by: str, on: date) -> None:
        """Make the personal data unreadable; allowed once the relationship is closed."""
        if self.status != "closed":
            raise InvalidTransitionError(
                f"customer {self.number} is {self.status}; personal data is erased only after closing"
            )
        if self.erased:
            raise InvalidTransitionError(
                f"customer {self.number}'s personal data is already erased"
            )
        self._personal_data_erased(_reason(reason, "an erasure"), by, on)

    @event("PersonalDataErased")
    def _personal_data_erased(self, reason: str, by: str, on: date) -> None:
        self.erased = True
        self.name = ERASED
        for field in ("phone", "email", "address", "document_number"):
            if getattr(self, field) is not None:
                setattr(self, field, ERASED)

    # -- guards ---------------------------------------------------------------------------

    def require_open_for_new_business(self, what: str) -> None:
        """A closed customer gets no new credit line or card; a complaint stays its right."""
        self._require_open(f"it cannot be {what}")

    def _require_open(self, consequence: str) -> None:
        if self.status == "closed":
            raise CustomerClosedError(f"customer {self.number} is closed; {consequence}")

    def _require_status(self, allowed: tuple[str, ...], action: str) -> None:
        self._require_open(f"it cannot {action}")
        if self.status not in allowed:
            raise InvalidTransitionError(
                f"customer {self.number} is {self.status}; only a customer who is "
                f"{' or '.join(allowed)} can {action}"
            )


MAX_VISIT_CYCLE_DAYS = 3660
"""Ten years: a longer "usual" cycle means no cycle at all (and would overflow the calendar)."""


def _check_cycle(days: int | None) -> None:
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_VISIT_CYCLE_DAYS
    ):
        raise InvalidValueError(
            f"visit cycle {days!r} is not a whole number of days from 1 to {MAX_VISIT_CYCLE_DAYS}"
        )


WITHDRAWN = "[consent withdrawn]"
"""How a view shows a contact detail whose consent the customer has withdrawn."""


def withdrawn_consents(events: Sequence[object]) -> frozenset[str]:
    """The contact details a customer's events (in order) leave without consent after a
    withdrawal: views hide them (the sealed values stay in the log)."""
    withdrawn: set[str] = set()
    for e in events:
        name = type(e).__name__
        if name == "ConsentWithdrawn":
            withdrawn.add(getattr(e, "kind"))
        elif name == "ConsentGiven":
            withdrawn.discard(getattr(e, "kind"))
    return frozenset(withdrawn & set(CONTACT_DETAILS))


class IdentityClaim(BookAggregate):
    """Which customer an identity document belongs to, keyed by a digest of the document number.

    The claim stores only the digest, never the number, so erasing a customer's personal data
    leaves nothing readable here; the customer's own events hold the number, encrypted. The
    digest is a keyed HMAC the application gives (`create_id(document_key)`): a plain hash of
    a number with so few possibilities could be reversed by trying them all. `key_of` and
    `id_for` are the plain hash of books from before keyed claims, still honoured in them.
    """

    @staticmethod
    def create_id(document_key: str) -> UUID:
        return business_key_id("identity-document", document_key)

    @staticmethod
    def key_of(document_number: str) -> str:
        return hashlib.sha256(normalise_document(document_number).encode()).hexdigest()

    @classmethod
    def id_for(cls, document_number: str) -> UUID:
        return cls.create_id(cls.key_of(document_number))

    @event("Claimed")
    def __init__(self, document_key: str, customer_id: UUID, by: str) -> None:
        self.customer_id: UUID | None = customer_id

    def reclaim(self, customer_id: UUID, *, by: str) -> None:
        if self.customer_id is not None:
            raise IdentityDocumentTakenError("the identity document belongs to another customer")
        self._reclaimed(customer_id, by)

    @event("Reclaimed")
    def _reclaimed(self, customer_id: UUID, by: str) -> None:
        self.customer_id = customer_id

    def release(self, *, by: str) -> None:
        if self.customer_id is not None:
            self._released(by)

    @event("Released")
    def _released(self, by: str) -> None:
        self.customer_id = None
