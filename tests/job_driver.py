"""Driving pynn.page.browser.Session's job loop the way web/worker/worker.js does: start_job, then work()
turns until the job's last event.  Shared by the tests of the jobs and of the session."""

from __future__ import annotations


def start(session, kind: str, **args) -> int:
    return session.start_job(kind, **args)["job"]


def events_of(session, job: int, seconds: float = 0.0, limit: int = 100_000) -> list[dict]:
    """Turns of the loop until job ``job`` ends; its events, in order (other jobs' are dropped).
    Fails if the job never ends: a hang is a failure, not a long wait."""
    mine = []
    for _ in range(limit):
        turn = session.work(seconds)
        mine += [event for event in turn["events"] if event["job"] == job]
        if mine and ("result" in mine[-1] or "error" in mine[-1]):
            return mine
        assert turn["pending"], f"job {job} vanished without a result: {mine[-3:]}"
    raise AssertionError(f"job {job} did not end in {limit} turns")


def run(session, kind: str, seconds: float = 0.0, **args) -> tuple[list[dict], dict]:
    """Start a job and run it to its end: (its events, its result)."""
    events = events_of(session, start(session, kind, **args), seconds)
    assert "error" not in events[-1], events[-1]
    return events, events[-1]["result"]


def progress(events: list[dict]) -> list[dict]:
    return [event["progress"] for event in events if "progress" in event]
