"""clientbook: an event-sourced core for a bank's customers, complaints, credit and cards.

The public API is what this module exports; everything else is private to the package.
"""

from clientbook.book import ClientBook, LogRecord
from clientbook.domain.actor import Actor
from clientbook.domain.errors import (
    ApprovalAuthorityError,
    ConflictError,
    CurrencyMismatchError,
    CustomerClosedError,
    CustomerNotFoundError,
    DomainError,
    DuplicateCustomerNumberError,
    FourEyesError,
    IdentityDocumentTakenError,
    InvalidAmountError,
    InvalidTransitionError,
    InvalidValueError,
    NotFoundError,
    OpenItemsError,
    PolicyError,
    ReasonRequiredError,
)
from clientbook.domain.money import Money
from clientbook.domain.policy import PolicySettings

__version__ = "0.1.0"

__all__ = [
    "Actor",
    "ApprovalAuthorityError",
    "ClientBook",
    "ConflictError",
    "CurrencyMismatchError",
    "CustomerClosedError",
    "CustomerNotFoundError",
    "DomainError",
    "DuplicateCustomerNumberError",
    "FourEyesError",
    "IdentityDocumentTakenError",
    "InvalidAmountError",
    "InvalidTransitionError",
    "InvalidValueError",
    "LogRecord",
    "Money",
    "NotFoundError",
    "OpenItemsError",
    "PolicyError",
    "PolicySettings",
    "ReasonRequiredError",
    "__version__",
]
