"""The domain's errors: one small tree, one class per broken rule."""

from __future__ import annotations

from datetime import datetime


class DomainError(Exception):
    """A command broke a business rule. Nothing was written."""


class InvalidAmountError(DomainError, ValueError):
    """An amount is not a whole number of cents, is negative where that makes no sense, or is a float."""


class CurrencyMismatchError(DomainError, ValueError):
    """Two amounts in different currencies were combined or compared."""


class InvalidValueError(DomainError, ValueError):
    """A command was given a value outside what the rule allows."""


class ImportFileError(InvalidValueError):
    """A file to import that is not what its format says: named by file and line."""


class InvalidIdempotencyKeyError(InvalidValueError):
    """An idempotency key is printable text of 1 to 255 characters."""


class IdempotencyKeyReused(DomainError):
    """An idempotency key names one command; it was given again with other arguments."""

    def __init__(
        self, message: str, *, key: str, command: str, actor: str, when: datetime, position: int
    ) -> None:
        super().__init__(message)
        self.key = key
        self.command = command
        self.actor = actor
        self.when = when
        self.position = position


class NotFoundError(DomainError, LookupError):
    """The thing named does not exist."""


class CustomerNotFoundError(NotFoundError):
    """No customer has that id or number."""


class DuplicateCustomerNumberError(DomainError):
    """A customer number is unique; this one is taken."""


class IdentityDocumentTakenError(DomainError):
    """An identity document number belongs to one customer only."""


class InvalidTransitionError(DomainError):
    """The step is not allowed from the current state."""


class CustomerClosedError(InvalidTransitionError):
    """A closed customer takes no further commands except erasure."""


class OpenItemsError(DomainError):
    """A customer with open credit lines, cards or complaints cannot be closed."""


class ReasonRequiredError(DomainError, ValueError):
    """The step must record why it was taken."""


class FourEyesError(DomainError):
    """The approver of a step must differ from the actor who proposed or prepared it."""


class ApprovalAuthorityError(DomainError):
    """The approver's role does not carry authority for the amount."""


class PolicyError(DomainError, ValueError):
    """A policy setting was given an unknown name or an unusable value."""


class ConflictError(DomainError):
    """Someone else changed the same record first; reload and try again."""


class ComplaintNotFoundError(NotFoundError):
    """No complaint has that id or number."""


class ComplaintClosedError(InvalidTransitionError):
    """A closed complaint takes no step but reopening."""


class StepOrderError(InvalidTransitionError):
    """The complaint procedure's steps happen in order; this one is not next."""


class RoleRequiredError(DomainError):
    """The step is taken by a particular role, which this actor does not have."""


class ManagerNotFoundError(NotFoundError):
    """No relationship manager is registered with that id."""


class AssessmentNotFoundError(NotFoundError):
    """No assessment was opened for that manager and period."""


class ManagerUnavailableError(DomainError):
    """A customer was given to a manager who left or holds no training certificate."""


class GradeMoveError(DomainError):
    """A manager's grade was to move a second time in one assessment year."""


class ConsentError(DomainError):
    """A contact detail or a contact without the customer's consent standing for it."""


class AssessmentError(DomainError):
    """An assessment was approved incomplete, changed after approval, or scored out of range."""


class IncompleteReportError(DomainError, ValueError):
    """Every part of an investigation report is required."""


class CreditLineNotFoundError(NotFoundError):
    """No credit line has that id or number."""


class CreditGroupNotFoundError(NotFoundError):
    """No group customer has that id or name."""


class InsufficientCreditError(DomainError):
    """A drawdown larger than the available amount (limit minus outstanding)."""


class LineFrozenError(DomainError):
    """A frozen line (by the bank or by a group's cross-default) takes no new drawdowns."""


class CustomerRestrictedError(DomainError):
    """A restricted customer gets no new credit."""


class OverRepaymentError(DomainError, ValueError):
    """A repayment larger than the outstanding amount."""


class ClassificationFloorError(DomainError):
    """A line's classification is never better than the floor its days past due set."""


class GroupLimitError(DomainError):
    """Member allocations never exceed the group limit; the group limit never exceeds the cap."""


class AllocationExceededError(DomainError):
    """A group member's credit lines never exceed its allocation."""


class ConcentrationCapError(GroupLimitError):
    """The group limit is capped at a share of the institution's net capital."""


class DuplicateNumberError(DomainError):
    """A business number (credit line, group name) is unique; this one is taken."""


class CardAccountNotFoundError(NotFoundError):
    """No card account has that id or number."""


class CardNumberError(DomainError, ValueError):
    """A full card number is never stored: a token and the last four digits identify a card."""


class ServiceError(Exception):
    """The book could not do this now, though nothing about the request was wrong: retry later."""


class StoreUnavailable(ServiceError):
    """The store (the SQLite file or the PostgreSQL server) did not answer within the timeout."""


class ReplicaBehind(ServiceError):
    """A streaming replica trails its primary by more than the book's bound: its answers would
    be stale, so none is given."""

    def __init__(self, message: str, *, lag_bytes: int, bound: float) -> None:
        super().__init__(message)
        self.lag_bytes = lag_bytes
        self.bound = bound


class ViewBehind(ServiceError):
    """A view has not reached the log position a query asked for (or stopped before it)."""

    def __init__(self, message: str, *, projection: str, position: int, wanted: int) -> None:
        super().__init__(message)
        self.projection = projection
        self.position = position
        self.wanted = wanted


class RebuildFailed(ServiceError):
    """A rebuild did not finish: in another process (`rebuild(jobs=…)`), or here because its
    shadow's place is taken by tables not its own. Its projections keep their old tables,
    which go on answering; the projections rebuilt here before were swapped in."""

    def __init__(self, message: str, *, projections: list[str]) -> None:
        super().__init__(message)
        self.projections = projections


class BusyError(ServiceError):
    """Work that runs once at a time (close of business, an import) is running elsewhere."""


class InvalidInput(InvalidValueError):
    """A command's argument has the wrong type, range or form; the message names the parameter."""

    def __init__(self, message: str, *, parameter: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class InvalidAmountInput(InvalidInput, InvalidAmountError):
    """An amount given to a command is not a Money, or is negative or too large."""


class CardNumberInInput(InvalidInput, CardNumberError):
    """A command's text or identifier holds a full card number, which is never stored."""


class SelfElevationError(DomainError):
    """Nobody changes a policy in a way that raises their own authority or rights."""
