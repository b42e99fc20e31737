"""`book.credit`: the credit-line commands (credit_lines.py) and the group-customer commands
(credit_groups.py) on one object, as the book has always had them (`book.credit.draw`,
`book.credit.add_member`). The two services share only their loading (credit_aggregates.py);
the rules that span a line, its borrower and its group are domain/credit_risk.py's."""

from __future__ import annotations

from clientbook.application.credit_groups import CreditGroups
from clientbook.application.credit_lines import CreditLines


class Credit(CreditLines, CreditGroups):
    """Credit lines and group customers over the one ClientBook log: every command of both
    services, keyed and permitted under `credit.` (`credit.freeze`, `credit.add_member`)."""
