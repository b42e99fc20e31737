"""SQL view of the contribution report's facts, by block of log positions (see FactBlocks)."""

from __future__ import annotations

from clientbook.infrastructure.buffered import BufferedView, FactBlocks
from clientbook.infrastructure.sql import SqlDatabase
from clientbook.projections.contribution import ContributionFact, ContributionView


class SqlContributionView(BufferedView, ContributionView):
    name = "contribution"
    tables = ("contribution_facts",)
    schema = (
        "CREATE TABLE IF NOT EXISTS contribution_facts (block BIGINT PRIMARY KEY, "
        "facts TEXT NOT NULL, earliest TEXT NOT NULL)",
    )

    def __init__(self, database: SqlDatabase, name: str | None = None) -> None:
        super().__init__(database, name)
        self._facts = self._buffered(FactBlocks("contribution_facts", ContributionFact, self._rows))
        setattr(self, "add_fact", self._facts.add)  # no call between: one a fact, in a rebuild

    def add_fact(self, fact: ContributionFact) -> None:
        self._facts.add(fact)

    def facts(self, *, up_to_position: int | None = None) -> list[ContributionFact]:
        return self._facts.read(up_to_position)
