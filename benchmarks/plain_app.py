"""Plain eventsourcing, for `bench_writers.py`: an Application and an Aggregate doing what a
customer command does (load, command, save: one event), on the library's own recorder."""

from __future__ import annotations

from typing import Callable
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Customer(Aggregate):
    @event("Registered")
    def __init__(self, name: str) -> None:
        self.name = name
        self.contacts = 0

    @event("ContactRecorded")
    def record_contact(self, channel: str, purpose: str, outcome: str) -> None:
        self.contacts += 1


class Customers(Application):
    def register(self) -> UUID:
        customer = Customer("Li Lei")
        self.save(customer)
        return customer.id

    def record_contact(self, customer_id: UUID) -> None:
        customer: Customer = self.repository.get(customer_id)
        customer.record_contact("call", "follow_up", "ok")
        self.save(customer)

    def customer_command(self) -> Callable[[], None]:
        """A new customer, and the command the benchmark gives it."""
        customer_id = self.register()
        return lambda: self.record_contact(customer_id)
