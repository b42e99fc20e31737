"""The complaint log in the shape of the US CFPB consumer complaint database.

Column names are the CFPB's (https://www.consumerfinance.gov/data-research/consumer-complaints/).
How our fields map to theirs:

| CFPB column                   | from clientbook                                                  |
|-------------------------------|------------------------------------------------------------------|
| Date received                 | the complaint's received (business) date                         |
| Product, Sub-product          | `product` (card → "Credit card or prepaid card", …), its category |
| Issue, Sub-issue              | the category in words; the receiving department                  |
| Consumer complaint narrative  | empty: the request is personal and published only with consent   |
| Company public response       | administration's endorsement opinion, when there is one          |
| Company                       | the institution's name (a parameter)                             |
| State, ZIP code               | empty (not recorded)                                             |
| Tags                          | "Reopened" when the customer disputed the outcome                 |
| Consumer consent provided?    | "Consent not provided"                                           |
| Submitted via                 | the channel: hotline → Phone, letter → Postal mail, online → Web, |
|                               | regulator → Referral, counter → In person                        |
| Date sent to company          | the received date (the complaint reached the company directly)   |
| Company response to consumer  | open → In progress; rejected → Closed without relief;            |
|                               | compensation/refund → Closed with monetary relief;               |
|                               | discount/replacement → Closed with non-monetary relief;           |
|                               | explanation → Closed with explanation                            |
| Timely response?              | Yes/No as decided at the first close (empty while never closed)  |
| Consumer disputed?            | Yes when reopened at least once, else No                         |
| Complaint ID                  | the complaint number, CP-YYYY-NNNNNN                              |
"""

from __future__ import annotations

from typing import Iterable

from clientbook.projections.complaints import ComplaintCard

COLUMNS = (
    "Date received",
    "Product",
    "Sub-product",
    "Issue",
    "Sub-issue",
    "Consumer complaint narrative",
    "Company public response",
    "Company",
    "State",
    "ZIP code",
    "Tags",
    "Consumer consent provided?",
    "Submitted via",
    "Date sent to company",
    "Company response to consumer",
    "Timely response?",
    "Consumer disputed?",
    "Complaint ID",
)
PRODUCTS = {
    "card": "Credit card or prepaid card",
    "account": "Checking or savings account",
    "loan": "Payday loan, title loan, personal loan, or advance loan",
    "credit_line": "Business loan or line of credit",
    "payment": "Money transfer, virtual currency, or money service",
    "general": "Bank service",
    "other": "Other financial service",
}
ISSUES = {
    "price_reduction": "Asked for a price reduction",
    "return": "Asked to return a purchase",
    "exchange": "Asked for an exchange",
    "damages": "Claimed damages",
    "criticism": "Criticism or suggestion",
}
SUBMITTED_VIA = {
    "hotline": "Phone",
    "letter": "Postal mail",
    "online": "Web",
    "regulator": "Referral",
    "counter": "In person",
}
RESPONSES = {
    "compensation": "Closed with monetary relief",
    "refund": "Closed with monetary relief",
    "discount": "Closed with non-monetary relief",
    "replacement": "Closed with non-monetary relief",
    "explanation": "Closed with explanation",
}


def cfpb_rows(cards: Iterable[ComplaintCard], company: str) -> list[dict[str, str]]:
    """One row per complaint, in complaint-number order, with the CFPB's columns."""
    return [_row(card, company) for card in sorted(cards, key=lambda c: c.number)]


def _response(card: ComplaintCard) -> str:
    if card.is_open:
        return "In progress"
    if card.rejected:
        return "Closed without relief"
    kind = (card.resolution or "").split(":", 1)[0]
    return RESPONSES.get(kind, "Closed")


def _row(card: ComplaintCard, company: str) -> dict[str, str]:
    values = (
        card.received_on.isoformat(),
        PRODUCTS[card.product],
        card.category.replace("_", " "),
        ISSUES[card.category],
        card.department,
        "",
        card.opinion or "",
        company,
        "",
        "",
        "Reopened" if card.reopened else "",
        "Consent not provided",
        SUBMITTED_VIA[card.channel],
        card.received_on.isoformat(),
        _response(card),
        "" if card.in_time is None else ("Yes" if card.in_time else "No"),
        "Yes" if card.reopened else "No",
        card.number,
    )
    return dict(zip(COLUMNS, values))
