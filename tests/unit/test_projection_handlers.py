"""Each projection has a method for every event it subscribes to, and subscribes to each event
it has a method for (the runner hands a projection only the events of its topics)."""

from __future__ import annotations

import inspect
from functools import singledispatchmethod
from typing import Any

import pytest
from eventsourcing.utils import get_topic, resolve_topic

from clientbook.projections.approvals import ApprovalsProjection
from clientbook.projections.cards import CardAccountsProjection
from clientbook.projections.complaints import ComplaintCardsProjection
from clientbook.projections.complaint_facts import ComplaintFactsProjection
from clientbook.projections.contribution import ContributionProjection
from clientbook.projections.directory import CustomerDirectoryProjection
from clientbook.projections.exposure import ExposureProjection
from clientbook.projections.managers import ManagerReportProjection
from clientbook.projections.runner import _shares

PROJECTIONS = [
    CustomerDirectoryProjection,
    ManagerReportProjection,
    ComplaintCardsProjection,
    ComplaintFactsProjection,
    ExposureProjection,
    CardAccountsProjection,
    ApprovalsProjection,
    ContributionProjection,
]


def _generic(projection: type) -> singledispatchmethod[Any]:
    method = inspect.getattr_static(projection, "process_event")
    assert isinstance(method, singledispatchmethod)
    return method


@pytest.mark.parametrize("projection", PROJECTIONS, ids=lambda p: p.__name__)
def test_every_event_a_projection_subscribes_to_has_a_method_of_its_own(projection: type) -> None:
    generic = _generic(projection)
    ignored = generic.dispatcher.dispatch(object)
    unhandled = [
        topic
        for topic in projection.topics
        if generic.dispatcher.dispatch(resolve_topic(topic)) is ignored
    ]
    assert unhandled == []


@pytest.mark.parametrize("projection", PROJECTIONS, ids=lambda p: p.__name__)
def test_every_event_a_projection_has_a_method_for_is_among_its_topics(projection: type) -> None:
    registered = [cls for cls in _generic(projection).dispatcher.registry if cls is not object]
    topics = set(projection.topics)
    never_sent = [
        cls.__qualname__
        for cls in registered
        if get_topic(cls) not in topics
        and not any(issubclass(resolve_topic(t), cls) for t in topics)  # an aggregate's Event
    ]
    assert never_sent == []


@pytest.mark.parametrize("projection", PROJECTIONS, ids=lambda p: p.__name__)
def test_every_projection_declares_its_version(projection: type) -> None:
    assert isinstance(vars(projection).get("version"), int)


def test_a_page_is_shared_out_by_topic_in_log_order() -> None:
    page: list[Any] = [(1, "one"), (2, "two"), (3, "three"), (4, "four")]
    wanted = [frozenset({"a"}), frozenset(), frozenset({"b", "c"}), frozenset({"d"})]

    shares = _shares(page, ["a", "b", "a", "c"], wanted)

    assert shares == [[page[0], page[2]], page, [page[1], page[3]], []]
