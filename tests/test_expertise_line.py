"""The one waiting line for consults and joint meetings (sim/actors/expertise.py) starts the same jobs in the same
order as the plain rule it implements: walk every waiting job in order, rood first; a job whose experts are all
free starts, one that cannot start keeps the experts it needs from every later job.

``Expertise._dispatch`` does not walk every waiting job (that cost grew with the line: docs/performance.md, sixth
round); here hypothesis drives it and a plain walk over lists with the same submissions and releases, and the two
must start the same jobs in the same order and leave the same jobs waiting."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.actors.expertise import Expertise, Job

EXPERTS = ("vt", "gi", "rvdk", "arts")


class _Pool:
    def __init__(self, free: int) -> None:
        self.free = free

    def join(self) -> None:
        pass


def _line(persons: dict[str, int], started: list[int]) -> Expertise:
    """An Expertise with stand-in pools: ``free`` persons each; a start takes one person of each expert."""
    ex = Expertise.__new__(Expertise)
    ex.pools = {e: _Pool(n) for e, n in persons.items()}
    ex.engine = SimpleNamespace(now=0.0)
    ex._crisis, ex._regular, ex._submitted = {}, {}, 0

    def start(job: Job) -> None:
        for e in job.experts:
            ex.pools[e].free -= 1
        started.append(job.fam.number)

    ex._start = start
    return ex


class _PlainLine:
    """The rule as it reads: every waiting job visited, in order, on every dispatch."""

    def __init__(self, persons: dict[str, int], started: list[int]) -> None:
        self.free = dict(persons)
        self.crisis: list = []
        self.regular: list = []
        self.started = started

    def submit(self, number: int, experts: tuple[str, ...], crisis: bool) -> None:
        (self.crisis if crisis else self.regular).append((number, experts))
        self.dispatch()

    def release(self, expert: str) -> None:
        self.free[expert] += 1
        self.dispatch()

    def dispatch(self) -> None:
        free = dict(self.free)
        for queue in (self.crisis, self.regular):
            i = 0
            while i < len(queue):
                number, experts = queue[i]
                if all(free[e] >= 1 for e in experts):
                    del queue[i]
                    for e in experts:
                        free[e] -= 1
                        self.free[e] -= 1
                    self.started.append(number)
                else:
                    for e in experts:
                        free[e] -= 1
                    i += 1
                if all(v <= 0 for v in free.values()):
                    return


_job = st.tuples(st.sets(st.sampled_from(EXPERTS), min_size=1, max_size=4), st.booleans())
_step = st.one_of(st.tuples(st.just("submit"), _job), st.tuples(st.just("release"), st.sampled_from(EXPERTS)))


@settings(max_examples=300, deadline=None)
@given(persons=st.fixed_dictionaries({e: st.integers(0, 3) for e in EXPERTS}),
       steps=st.lists(_step, min_size=1, max_size=80))
def test_the_line_starts_what_the_plain_walk_starts_in_the_same_order(persons, steps):
    got: list[int] = []
    want: list[int] = []
    ex = _line(persons, got)
    plain = _PlainLine(persons, want)
    for k, (what, arg) in enumerate(steps):
        if what == "submit":
            chosen, crisis = arg
            experts = tuple(e for e in EXPERTS if e in chosen)
            fam = SimpleNamespace(number=k, crisis=crisis)
            ex._submit(Job(fam, "overleg", "meeting", experts, 1.0, lambda f, n: None))
            plain.submit(k, experts, crisis)
        else:
            ex.pools[arg].free += 1
            ex._dispatch()
            plain.release(arg)
        assert got == want
    waiting = sorted(job.fam.number for lines in (ex._crisis, ex._regular) for line in lines.values() for job in line)
    assert waiting == sorted(n for n, _ in plain.crisis + plain.regular)
    assert {e: p.free for e, p in ex.pools.items()} == plain.free

