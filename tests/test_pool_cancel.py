"""``CaseloadPool.cancel`` answers from the pool's count of waiting cases (issue 15's speed work): it must still
find every case on the list, in either class, however often it waits, and refuse every case that is not on it."""

from __future__ import annotations

from sim.kernel.engine import Engine


class _Case:
    def __init__(self) -> None:
        self.holds: dict = {}


def _pool(slots: int = 1):
    engine = Engine(horizon=100.0)
    return engine, engine.pool("p", "org", slots)


def test_cancel_takes_a_waiting_case_off_the_list_and_refuses_one_that_holds_its_places() -> None:
    _, pool = _pool()
    granted: list = []
    first, second, third = _Case(), _Case(), _Case()
    pool.request(first, 1, False, lambda c, w: granted.append(c))
    pool.request(second, 1, False, lambda c, w: granted.append(c))
    pool.request(third, 1, True, lambda c, w: granted.append(c))
    assert granted == [first] and pool.waiting_cases == 2 and pool.queued == 2
    assert pool.cancel(first) is False  # holds its place: not waiting
    assert pool.cancel(_Case()) is False  # never here
    assert pool.cancel(second) is True
    assert pool.cancel(second) is False  # already off the list
    assert [c for c, _, _ in pool.waiting()] == [third] and pool.queued == 1
    pool.release_case(first)
    assert granted == [first, third] and pool.cancel(third) is False and pool.queued == 0
    assert not pool._waiting_ids  # a granted case leaves the count: no stale id kept for a later object to reuse


def test_a_case_waiting_twice_stays_cancellable_until_both_requests_left() -> None:
    _, pool = _pool(slots=0)
    case = _Case()
    pool.request(case, 1, False, lambda c, w: None)
    pool.backlog(case, 1, True, lambda c, w: None, since=0.0)
    assert pool.cancel(case) is True and pool.waiting_cases == 1
    assert pool.cancel(case) is True and pool.waiting_cases == 0 and pool.queued == 0
    assert pool.cancel(case) is False and not pool._waiting_ids


def test_promote_moves_a_waiting_case_behind_the_crisis_line_and_keeps_when_it_joined() -> None:
    _, pool = _pool(slots=0)
    a, b, c, twice = _Case(), _Case(), _Case(), _Case()
    granted: list = []
    for case, crisis in ((a, False), (b, True), (c, False), (twice, False), (twice, False)):
        pool.request(case, 1, crisis, lambda x, w: granted.append((x, w)))
    assert pool.promote(b) is False  # already in the crisis class
    assert pool.promote(_Case()) is False  # not waiting here
    assert pool.promote(c) is True
    assert [x for x, _, _ in pool.waiting()] == [b, c, a, twice, twice]
    assert pool.promote(twice) is True  # the first of its two requests
    assert [x for x, _, _ in pool.waiting()] == [b, c, twice, a, twice]
    assert pool.promote(twice) is True and pool.promote(twice) is False
    assert [x for x, _, _ in pool.waiting()] == [b, c, twice, twice, a]
    assert pool.cancel(twice) is True and [x for x, _, _ in pool.waiting()] == [b, c, twice, a]
    pool.engine.at(2.0, lambda _: pool.set_capacity(4))  # crisis class first, as promoted, then the regular class
    pool.engine.run()
    assert [x for x, _ in granted] == [b, c, twice, a] and [w for _, w in granted] == [2.0] * 4
    assert pool.waiting_cases == 0 and not pool._waiting_ids
