"""Policy settings: every deadline, threshold and cap is a named setting, changed by events."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Callable

import re

import attrs
from attrs import frozen
from eventsourcing.domain import event

from clientbook.domain.base import BookAggregate, business_key_id
from clientbook.domain.four_eyes import require_four_eyes
from clientbook.domain.errors import PolicyError, ReasonRequiredError, SelfElevationError
from clientbook.domain.permissions import PREFIX, default_roles, parse_roles
from clientbook.domain.money import Money, to_amount

UNLIMITED = "unlimited"
_COMMAND = re.compile(r"[a-z_]+\.[a-z_]+")


def _days(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must not be negative")
    return number


def _at_least_a_day(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("must be at least 1 day")
    return number


def _percent(value: str) -> Decimal:
    number = Decimal(value)
    if not Decimal(0) <= number <= Decimal(100):
        raise ValueError("must be a percentage between 0 and 100")
    return number


def _limit(value: str) -> Decimal | None:
    return None if value == UNLIMITED else to_amount(value)


def _capital(value: str) -> Decimal | None:
    return None if value == "" else to_amount(value)


def _currency(value: str) -> str:
    return Money.zero(value).currency


def setting(default: Any, parse: Callable[[str], Any], doc: str) -> Any:
    return attrs.field(default=default, metadata={"parse": parse, "doc": doc})


@frozen
class PolicySettings:
    """The settings in force: defaults as in DOMAIN.md; every change is a Policy event."""

    currency: str = setting("CNY", _currency, "default currency of amounts")
    approval_limit_officer: Decimal | None = setting(
        Decimal("10000.00"), _limit, "officer's approval authority"
    )
    approval_limit_supervisor: Decimal | None = setting(
        Decimal("100000.00"), _limit, "supervisor's approval authority"
    )
    approval_limit_manager: Decimal | None = setting(
        Decimal("1000000.00"), _limit, "manager's approval authority"
    )
    approval_limit_general_manager: Decimal | None = setting(
        None, _limit, "general manager's approval authority"
    )
    manager_min_customers: int = setting(
        15, _days, "each manager should look after at least this many customers (1:15)"
    )
    lapse_grace_days: int = setting(
        3, _days, "a customer not seen for the usual cycle plus these days is lapsed"
    )
    complaint_deadline_days: int = setting(7, _days, "calendar days from received to closed")
    credit_special_mention_dpd: int = setting(
        1, _days, "DPD at or above which a line is at least special mention"
    )
    credit_substandard_dpd: int = setting(
        90, _days, "DPD above which a line is at least substandard"
    )
    credit_doubtful_dpd: int = setting(270, _days, "DPD above which a line is at least doubtful")
    credit_loss_dpd: int = setting(360, _days, "DPD above which a line is loss")
    concentration_cap_percent: Decimal = setting(
        Decimal("15"), _percent, "group limit cap, % of net capital"
    )
    large_exposure_percent: Decimal = setting(
        Decimal("10"), _percent, "Basel large exposure, % of Tier 1"
    )
    large_exposure_limit_percent: Decimal = setting(
        Decimal("25"), _percent, "Basel large-exposure limit, % of Tier 1"
    )
    control_majority_percent: Decimal = setting(
        Decimal("50"), _percent, "shares or votes above which one controls"
    )
    control_significant_percent: Decimal = setting(
        Decimal("20"), _percent, "lower bound of significant control"
    )
    economic_dependency_percent: Decimal = setting(
        Decimal("30"), _percent, "share of sales or purchases that makes dependency"
    )
    net_capital: Decimal | None = setting(None, _capital, "the institution's net capital")
    tier1_capital: Decimal | None = setting(None, _capital, "the institution's Tier 1 capital")
    card_minimum_payment_percent: Decimal = setting(
        Decimal("10"), _percent, "minimum payment, % of statement balance"
    )
    card_minimum_payment_floor: Decimal = setting(
        Decimal("100.00"), to_amount, "minimum payment floor"
    )
    card_payment_due_days: int = setting(25, _days, "days from statement to due date")
    card_apr_notice_days: int = setting(
        45, _days, "days from notice before an APR increase takes effect"
    )
    card_dormant_months: int = setting(
        6, _days, "months without customer use before a card is dormant"
    )
    card_long_dormant_months: int = setting(
        18, _days, "months without use (zero balance) for long-term dormant"
    )
    card_long_dormant_ceiling_percent: Decimal = setting(
        Decimal("20"), _percent, "long-term dormant cards, max % of issued"
    )
    card_visit_dpd: int = setting(60, _days, "DPD from which collection escalates to visits")
    card_legal_dpd: int = setting(120, _days, "DPD from which collection escalates to legal")
    card_write_off_dpd: int = setting(180, _days, "DPD at which a card account is written off")
    card_late_fee: Decimal = setting(
        Decimal("50.00"), to_amount, "fee when a minimum payment is late"
    )
    card_over_limit_fee: Decimal = setting(
        Decimal("50.00"), to_amount, "fee when a statement closes above the credit limit"
    )
    card_cash_advance_fee_percent: Decimal = setting(
        Decimal("3"), _percent, "cash-advance fee, % of the advance"
    )
    card_cash_advance_fee_minimum: Decimal = setting(
        Decimal("30.00"), to_amount, "smallest cash-advance fee"
    )
    card_minimum_age: int = setting(18, _days, "youngest age at which a card is granted")
    idempotency_key_days: int = setting(
        30,
        _at_least_a_day,
        "days a command's idempotency key is kept; a retry within them "
        "returns the first result, a command after them with the same key runs as a new one",
    )
    assessment_performance_weight: Decimal = setting(
        Decimal("75"),
        _percent,
        "weight of the five performance indicators in a manager's "
        "assessment, % (behaviour and attitude weigh the rest)",
    )
    assessment_performance_weight_abnormal: Decimal = setting(
        Decimal("50"),
        _percent,
        "the same weight for a year and branch declared an abnormal market, %",
    )
    assessment_grade_up_score: Decimal = setting(
        Decimal("85"),
        _percent,
        "an annual assessment total at or above which the grade moves up one step",
    )
    assessment_grade_down_score: Decimal = setting(
        Decimal("60"),
        _percent,
        "an annual assessment total below which the grade moves down one step",
    )
    segment_premium_top_percent: Decimal = setting(
        Decimal("4"),
        _percent,
        "customers within this top % by contribution are proposed for the premium segment",
    )
    segment_major_top_percent: Decimal = setting(
        Decimal("20"),
        _percent,
        "customers within this top % by contribution (below premium) "
        "are proposed for the major segment",
    )
    visit_cycle_vip_days: int = setting(
        90, _at_least_a_day, "visit cycle of a VIP-tier customer without a cycle of their own"
    )
    visit_cycle_a_days: int = setting(
        60, _at_least_a_day, "visit cycle of an A-tier customer without a cycle of their own"
    )
    visit_cycle_b_days: int = setting(
        30, _at_least_a_day, "visit cycle of a B-tier customer without a cycle of their own"
    )
    campaign_follow_up_days: int = setting(
        7,
        _at_least_a_day,
        "days from a campaign's start by which each covered customer is to "
        "be contacted; later counts as missed",
    )

    permissions: tuple[tuple[str, frozenset[str]], ...] = attrs.field(default=())
    """Changed entries of the permission table (permissions.py), as (command, roles)."""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(a.name for a in attrs.fields(cls) if "parse" in a.metadata)

    def tier_visit_cycle(self, tier: str) -> int | None:
        """The visit cycle of a customer of this tier who has none of their own (essay 5's
        three-level maintenance); None for tier `none`."""
        return self.tier_visit_cycles().get(tier)

    def tier_visit_cycles(self) -> dict[str, int]:
        return {
            "vip": self.visit_cycle_vip_days,
            "a": self.visit_cycle_a_days,
            "b": self.visit_cycle_b_days,
        }

    def permission_table(self) -> dict[str, frozenset[str]]:
        """The entries changed from the default table (permissions.py) by policy changes."""
        return dict(self.permissions)

    def roles_for(self, command: str) -> frozenset[str]:
        """The roles allowed to give a command under these settings."""
        return self.permission_table().get(command, default_roles(command))

    @classmethod
    def describe(cls, name: str) -> str:
        return str(attrs.fields_dict(cls)[name].metadata["doc"])

    @classmethod
    def parse(cls, name: str, value: str) -> Any:
        """Read a setting from its text, or raise PolicyError saying what is wrong."""
        if name.startswith(PREFIX):
            return cls._parse_permission(name, value)
        fields = attrs.fields_dict(cls)
        if name not in fields or name == "permissions":
            raise PolicyError(
                f"there is no policy setting {name!r}; known: {', '.join(cls.names())}"
            )
        try:
            return fields[name].metadata["parse"](value.strip())
        except Exception as error:  # a parser's own message says what is wrong
            raise PolicyError(f"policy setting {name} cannot be {value!r}: {error}") from None

    @classmethod
    def _parse_permission(cls, name: str, value: str) -> frozenset[str]:
        from clientbook.domain.actor import ROLES  # the actor module builds on this one

        if not _COMMAND.fullmatch(name[len(PREFIX) :]):
            raise PolicyError(f"{name!r} does not name a command as permission:area.command")
        return parse_roles(name, value, ROLES)

    def as_text(self) -> dict[str, str]:
        """Every setting as text, as stored in events and shown in report manifests."""
        return {name: _text(getattr(self, name), name) for name in self.names()}

    def with_setting(self, name: str, value: str) -> PolicySettings:
        if name.startswith(PREFIX):
            table = {**self.permission_table(), name[len(PREFIX) :]: self.parse(name, value)}
            return attrs.evolve(self, permissions=tuple(sorted(table.items())))
        return attrs.evolve(self, **{name: self.parse(name, value)})

    def has_limit_for(self, role: str) -> bool:
        return f"approval_limit_{role}" in attrs.fields_dict(type(self))

    def approval_limit(self, role: str) -> Money | None:
        amount = getattr(self, f"approval_limit_{role}")
        return None if amount is None else Money(amount, self.currency)


def check_no_self_elevation(
    name: str, value: str, roles: frozenset[str], settings: PolicySettings, actor_id: str
) -> None:
    """Nobody raises their own approval limit, or lets their own role give another command."""
    new = settings.parse(name, value)
    for role in roles:
        if name == f"approval_limit_{role}":
            old = getattr(settings, name)
            if old is not None and (new is None or new > old):
                raise SelfElevationError(
                    f"{actor_id} holds {role}: raising the {role}'s approval limit is for "
                    "someone who does not hold it"
                )
    if name.startswith(PREFIX) and (new - settings.roles_for(name[len(PREFIX) :])) & roles:
        raise SelfElevationError(
            f"{actor_id} may not grant a role they hold ({', '.join(sorted(new & roles))}) "
            f"the right to give {name[len(PREFIX) :]}"
        )


def _text(value: Any, name: str) -> str:
    if value is None:
        return UNLIMITED if name.startswith("approval_limit") else ""
    return str(value)


class Policy(BookAggregate):
    """The institution's policy settings and their history, one aggregate per book."""

    @staticmethod
    def create_id() -> Any:
        return business_key_id("policy", "the-policy")

    @event("Established")
    def __init__(self, settings: dict[str, str], by: str, on: date) -> None:
        self.changes: list[tuple[date, str, str]] = [(on, n, v) for n, v in settings.items()]

    def change(self, name: str, value: str, *, reason: str, by: str, on: date) -> None:
        PolicySettings.parse(name, value)
        if not reason.strip():
            raise ReasonRequiredError(f"changing policy setting {name} needs a reason")
        self._setting_changed(name, value.strip(), reason, by, on)

    @event("SettingChanged")
    def _setting_changed(self, name: str, value: str, reason: str, by: str, on: date) -> None:
        self.changes.append((on, name, value))

    # -- ✋ two people: a change is proposed, then approved by someone else ---------------

    def propose(
        self, name: str, value: str, *, reason: str, effective: date, by: str, on: date
    ) -> int:
        """Propose a change from a business date on; returns the proposal's number."""
        PolicySettings.parse(name, value)
        if not reason.strip():
            raise ReasonRequiredError(f"changing policy setting {name} needs a reason")
        if type(effective) is not date:
            raise PolicyError(f"the change of {name} needs the date it takes effect")
        number = len(self._proposals()) + 1
        self._change_proposed(number, name, value.strip(), reason.strip(), effective, by, on)
        return number

    @event("ChangeProposed")
    def _change_proposed(
        self, number: int, name: str, value: str, reason: str, effective: date, by: str, on: date
    ) -> None:
        self._proposals()[number] = (name, value, effective, by, None)

    def proposal(self, number: int) -> tuple[str, str, date, str, str | None]:
        """(setting, value, effective date, proposer, approver or None) of a proposal."""
        found = self._proposals().get(number)
        if found is None:
            raise PolicyError(f"there is no policy proposal {number}")
        return found

    def approve(self, number: int, *, by: str, roles: frozenset[str], on: date) -> None:
        """✋ Approve a proposal: another person, who gains nothing by it; it takes effect on
        its date or on the approval's business date, whichever is later."""
        name, value, effective, proposer, approver = self.proposal(number)
        if approver is not None:
            raise PolicyError(f"policy proposal {number} was approved already by {approver}")
        require_four_eyes(proposer, by, f"policy proposal {number} ({name})")
        check_no_self_elevation(name, value, roles, self.in_force(on), by)
        self._change_approved(number, max(effective, on), by, on)

    @event("ChangeApproved")
    def _change_approved(self, number: int, effective: date, by: str, on: date) -> None:
        name, value, _, proposer, _ = self._proposals()[number]
        self._proposals()[number] = (name, value, effective, proposer, by)
        self.changes.append((effective, name, value))

    def _proposals(self) -> dict[int, tuple[str, str, date, str, str | None]]:
        if "proposals" not in self.__dict__:  # a policy established before proposals
            self.__dict__["proposals"] = {}
        return self.__dict__["proposals"]

    def in_force(self, on: date | None = None) -> PolicySettings:
        """The settings in force on a business date (all changes when no date is given)."""
        settings = PolicySettings()
        for effective, name, value in sorted(self.changes, key=lambda change: change[0]):
            if on is None or effective <= on:
                settings = settings.with_setting(name, value)
        return settings
