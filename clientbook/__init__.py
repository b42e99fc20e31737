"""clientbook: an event-sourced core for a bank's customers, complaints, credit and cards.

The public API is what this module exports; everything else is private to the package and may
change without notice. An application opens a `ClientBook` and uses its services and queries:

- commands: `book.customers`, `book.complaints`, `book.credit`, `book.cards`, `book.policy`,
  `book.close_of_business(on)`, each taking keyword arguments, `by=Actor(...)` and `on=date`,
  raising a `DomainError` subclass (and writing nothing) when a rule refuses, and each taking
  an optional `idempotency_key=` so that a retry returns the first result instead of writing
  again (see the README's "Embedding clientbook");
- queries: `book.directory`, `book.audit`, `book.complaint_cards`, `book.exposure`,
  `book.card_accounts`, `book.reports`, `book.credit_reports`, returning immutable values;
- the past: `book.as_of(position=…, on=…)` is a read-only `PastBook` with the same queries,
  computed from the log up to that point;
- reports an auditor can reproduce: `run_report(book, name, Parameters(…))` gives the report,
  its rows and its manifest; `reproduce(book, manifest)` re-runs and compares;
- personal data at rest: `ClientBook.open(url, key_provider=…)` takes a `KeyProvider` (a KMS)
  for the key-encryption key (docs/security.md);
- `clientbook.testing`: hypothesis strategies for an embedder's own property tests.
"""

from clientbook.application.close_of_business import CloseOfBusinessResult
from clientbook.reports.credit import (
    AgingReport,
    ClassificationReport,
    ConcentrationReport,
    MigrationReport,
)
from clientbook.book import ClientBook, LogRecord, PastBook
from clientbook.infrastructure.kek import (
    KeyProvider,
    KeyUnwrapError,
    PersonalDataKeyError,
    PersonalDataKeyMissingError,
    WrongPersonalDataKeyError,
)
from clientbook.infrastructure.store import (
    DEFAULT_URL,
    StoreNotFoundError,
    StoreUrlError,
    parse_store_url,
)
from clientbook.adapters.cfpb import COLUMNS as CFPB_COLUMNS
from clientbook.domain.actor import ROLES, Actor
from clientbook.domain.card import Applicant, DefaultScorecard, Scorecard
from clientbook.domain.complaint import InvestigationReport, Resolution
from clientbook.domain.errors import (
    AllocationExceededError,
    ApprovalAuthorityError,
    CardAccountNotFoundError,
    CardNumberError,
    ClassificationFloorError,
    ComplaintClosedError,
    ComplaintNotFoundError,
    ConcentrationCapError,
    ConflictError,
    ConsentError,
    CreditGroupNotFoundError,
    CreditLineNotFoundError,
    CurrencyMismatchError,
    CustomerClosedError,
    CustomerNotFoundError,
    CustomerRestrictedError,
    DomainError,
    DuplicateCustomerNumberError,
    DuplicateNumberError,
    FourEyesError,
    GroupLimitError,
    IdempotencyKeyReused,
    IdentityDocumentTakenError,
    IncompleteReportError,
    InsufficientCreditError,
    InvalidAmountError,
    InvalidIdempotencyKeyError,
    InvalidTransitionError,
    InvalidValueError,
    InvalidInput,
    InvalidAmountInput,
    CardNumberInInput,
    SelfElevationError,
    LineFrozenError,
    NotFoundError,
    OpenItemsError,
    OverRepaymentError,
    PolicyError,
    ReasonRequiredError,
    RoleRequiredError,
    ServiceError,
    StepOrderError,
    ReplicaBehind,
    StoreUnavailable,
)
from clientbook.domain.group import Link
from clientbook.domain.money import Money
from clientbook.domain.policy import PolicySettings
from clientbook.projections.audit import AuditEntry
from clientbook.projections.cards import CardView
from clientbook.projections.complaints import ComplaintCard, WorkItem
from clientbook.projections.directory import DirectoryEntry
from clientbook.projections.exposure import Exposure
from clientbook.reports.catalogue import (
    PERIODIC,
    REPORTS,
    Parameters,
    ReportRun,
    Reproduction,
    default_period,
    reproduce,
    run_report,
)
from clientbook.reports.complaints import ComplaintsReport
from clientbook.reports.managers import ManagerReport
from clientbook.reports.portfolio import PortfolioReport

__version__ = "0.1.0"

__all__ = [
    "Actor",
    "AgingReport",
    "AllocationExceededError",
    "Applicant",
    "ApprovalAuthorityError",
    "AuditEntry",
    "CFPB_COLUMNS",
    "CardAccountNotFoundError",
    "CardNumberError",
    "CardView",
    "ClassificationFloorError",
    "ClassificationReport",
    "ClientBook",
    "CloseOfBusinessResult",
    "ComplaintCard",
    "ComplaintClosedError",
    "ComplaintNotFoundError",
    "ComplaintsReport",
    "ConcentrationCapError",
    "ConcentrationReport",
    "ConflictError",
    "ConsentError",
    "CreditGroupNotFoundError",
    "CreditLineNotFoundError",
    "CurrencyMismatchError",
    "CustomerClosedError",
    "CustomerNotFoundError",
    "CustomerRestrictedError",
    "DEFAULT_URL",
    "DefaultScorecard",
    "DirectoryEntry",
    "DomainError",
    "DuplicateCustomerNumberError",
    "DuplicateNumberError",
    "Exposure",
    "FourEyesError",
    "GroupLimitError",
    "IdempotencyKeyReused",
    "IdentityDocumentTakenError",
    "IncompleteReportError",
    "InsufficientCreditError",
    "InvalidAmountError",
    "InvalidIdempotencyKeyError",
    "InvalidTransitionError",
    "InvalidValueError",
    "InvalidInput",
    "InvalidAmountInput",
    "CardNumberInInput",
    "SelfElevationError",
    "InvestigationReport",
    "LineFrozenError",
    "Link",
    "LogRecord",
    "ManagerReport",
    "MigrationReport",
    "Money",
    "NotFoundError",
    "OpenItemsError",
    "OverRepaymentError",
    "PERIODIC",
    "Parameters",
    "PastBook",
    "PolicyError",
    "PolicySettings",
    "PortfolioReport",
    "REPORTS",
    "ROLES",
    "ReasonRequiredError",
    "ReportRun",
    "Reproduction",
    "KeyProvider",
    "KeyUnwrapError",
    "PersonalDataKeyError",
    "PersonalDataKeyMissingError",
    "Resolution",
    "RoleRequiredError",
    "Scorecard",
    "ServiceError",
    "StepOrderError",
    "StoreNotFoundError",
    "ReplicaBehind",
    "StoreUnavailable",
    "StoreUrlError",
    "WorkItem",
    "WrongPersonalDataKeyError",
    "__version__",
    "default_period",
    "parse_store_url",
    "reproduce",
    "run_report",
]
