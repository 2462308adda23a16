"""Unit tests of the connector layer's parts: merging into the snapshot, the run aggregator, the rate
limiter, the pagination strategies (httpx MockTransport) and the platform registry. The connectors
themselves are tested end to end against real servers on 127.0.0.1 (test_*_sync.py, test_n8n_real.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from generator.config import PlatformConfig
from generator.connectors import CONNECTORS, merge
from generator.connectors.base import Collected
from generator.connectors.http import ApiClient, RateLimiter, RetryPolicy
from generator.connectors.runs import KEEP_DAYS, RunAggregator, merge_daily, normalise_error
from generator.errors import InputError, PlatformError
from generator.model import (
    Credential,
    DailyBucket,
    Platform,
    PlatformFacts,
    RunStats,
    Snapshot,
    SnapshotMeta,
    Step,
    Trigger,
    User,
    Workflow,
)
from generator.platforms import SPECS

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(days=1)


# --------------------------------------------------------------------------------------------------
# merge


def wf(platform: str, ident: str, name: str = "", credential: str | None = None) -> Workflow:
    return Workflow(platform=platform, id=ident, name=name or ident, active=True, trigger=Trigger(kind="manual"),
                    steps=[Step(id="s1", name="Step", app="App", kind="action", credential=credential)])


def cred(platform: str, ident: str, **extra) -> Credential:
    return Credential(platform=platform, id=ident, name=f"Credential {ident}", app="App", **extra)


def stats(ref: str, runs: int, day: date) -> RunStats:
    return RunStats(workflow=ref, window_start=EARLIER - timedelta(days=30), window_end=EARLIER,
                    statuses={"success": runs}, daily=[DailyBucket(day=day, runs=runs, failed=0)])


def facts(platform: str, source: str = "api", name: str = "instance") -> PlatformFacts:
    return PlatformFacts(platform=platform, name=name, synced=NOW, source=source)


@pytest.fixture
def previous() -> Snapshot:
    return Snapshot(
        meta=SnapshotMeta(taken=EARLIER),
        platforms=[facts("n8n", name="n8n production"), facts("make")],
        workflows=[wf("n8n", "a", credential="n8n:c1"), wf("n8n", "b"), wf("make", "m", credential="make:9")],
        credentials=[cred("n8n", "c1", owner="Finance"), cred("n8n", "old"), cred("make", "9")],
        users=[User(platform="n8n", name="Dana", role="owner"), User(platform="make", name="Mia", role="admin")],
        runs=[stats("n8n:a", 5, EARLIER.date()), stats("n8n:b", 2, EARLIER.date()), stats("make:m", 7, EARLIER.date())],
    )


def collected(workflows, *, replace_all: bool, credentials=(), users=None, runs=None, source="api") -> Collected:
    return Collected(facts=facts("n8n", source, name="n8n new name"), workflows=list(workflows),
                     credentials=list(credentials), users=users, runs=runs, replace_all=replace_all)


def test_a_sync_replaces_the_platforms_part_and_leaves_the_others(previous):
    new = merge(previous, collected([wf("n8n", "b", "B renamed"), wf("n8n", "c", credential="n8n:c2")],
                                    replace_all=True, credentials=[cred("n8n", "c2")]), NOW)
    assert [w.ref for w in new.workflows] == ["make:m", "n8n:b", "n8n:c"]
    assert new.workflow("n8n:b").name == "B renamed"
    assert sorted(c.ref for c in new.credentials) == ["make:9", "n8n:c2"]  # n8n's credentials are the sync's
    assert [p.name for p in new.platforms if p.platform == "n8n"] == ["n8n new name"]
    assert new.meta.taken == NOW


def test_an_import_adds_and_updates_and_keeps_what_a_sync_learnt(previous):
    new = merge(previous, collected([wf("n8n", "b", "B renamed"), wf("n8n", "c", credential="n8n:c1")],
                                    replace_all=False, credentials=[cred("n8n", "c1")], source="import"), NOW)
    assert [w.ref for w in new.workflows] == ["n8n:a", "make:m", "n8n:b", "n8n:c"]
    assert new.workflow("n8n:b").name == "B renamed"
    assert new.credential("n8n:c1").owner == "Finance"  # the sync's record, not the import's bare name
    assert new.credential("n8n:old") is not None
    assert [p.name for p in new.platforms if p.platform == "n8n"] == ["n8n production"]  # the instance, as synced


def test_credentials_are_relinked_to_the_steps_that_use_them(previous):
    new = merge(previous, collected([wf("n8n", "a"), wf("n8n", "b", credential="n8n:c1")], replace_all=True,
                                    credentials=[cred("n8n", "c1")]), NOW)
    assert [(u.workflow, u.step) for u in new.credential("n8n:c1").used_by] == [("n8n:b", "s1")]
    assert [u.workflow for u in new.credential("make:9").used_by] == ["make:m"]


def test_users_none_keeps_the_previous_users(previous):
    kept = merge(previous, collected([wf("n8n", "a")], replace_all=True), NOW)
    assert [u.name for u in kept.users] == ["Dana", "Mia"]
    replaced = merge(previous, collected([wf("n8n", "a")], replace_all=True,
                                         users=[User(platform="n8n", name="Eve", role="member")]), NOW)
    assert sorted(u.name for u in replaced.users) == ["Eve", "Mia"]


def test_runs_are_merged_per_workflow(previous):
    aggregator = RunAggregator(NOW - timedelta(days=30), NOW)
    for hours in (1, 2, 3):
        aggregator.add("n8n:a", "success", NOW - timedelta(hours=hours), NOW - timedelta(hours=hours, seconds=-1))
    new = merge(previous, collected([wf("n8n", "a"), wf("n8n", "b")], replace_all=False, runs=aggregator,
                                    source="import"), NOW)
    a, b, m = (new.runs_for(ref) for ref in ("n8n:a", "n8n:b", "make:m"))
    assert a.statuses == {"success": 3} and a.window_end == NOW
    assert {d.day: d.runs for d in a.daily} == {EARLIER.date(): 5, NOW.date(): 3}  # history outlives the window
    assert b.statuses == {} and [d.runs for d in b.daily] == [2]  # collected, no runs now; its history stays
    assert m == previous.runs_for("make:m")  # another platform: untouched
    without = merge(previous, collected([wf("n8n", "a")], replace_all=False, source="import"), NOW)
    assert without.runs_for("n8n:a") == previous.runs_for("n8n:a")  # no run statistics: keep the previous


def test_a_workflow_listed_twice_is_refused(previous):
    twice = [wf("n8n", "a"), wf("n8n", "a")]
    with pytest.raises(PlatformError, match="more than once"):
        merge(previous, collected(twice, replace_all=True), NOW)
    with pytest.raises(InputError, match="more than once"):  # an import: the user's files
        merge(previous, collected(twice, replace_all=False, source="import"), NOW)


def test_merge_into_nothing():
    new = merge(None, collected([wf("n8n", "a")], replace_all=True), NOW)
    assert [w.ref for w in new.workflows] == ["n8n:a"] and new.meta.taken == NOW


# --------------------------------------------------------------------------------------------------
# The run aggregator


def test_durations_are_nearest_rank_percentiles():
    runs = RunAggregator(NOW - timedelta(days=1), NOW)
    for ms in range(1, 101):
        started = NOW - timedelta(minutes=ms)
        runs.add("n8n:a", "success", started, started + timedelta(milliseconds=ms))
    result = runs.stats("n8n:a")
    assert (result.durations.p50_ms, result.durations.p95_ms, result.durations.max_ms) == (50, 95, 100)
    assert result.daily[-1].p95_ms is not None


def test_runs_before_the_window_are_not_counted():
    runs = RunAggregator(NOW - timedelta(days=7), NOW)
    runs.add("n8n:a", "success", NOW - timedelta(days=8))
    runs.add("n8n:a", "failed", NOW - timedelta(days=1), NOW - timedelta(days=1) + timedelta(seconds=2))
    runs.add("n8n:a", "running", None)  # no start time: counted, not bucketed
    result = runs.stats("n8n:a")
    assert runs.runs_read == 2 and result.statuses == {"failed": 1, "running": 1}
    assert result.last_failure == NOW - timedelta(days=1) and result.last_success is None
    assert [(b.runs, b.failed) for b in result.daily] == [(1, 1)]


def test_a_quiet_workflow_keeps_its_last_runs():
    old = RunStats(workflow="n8n:a", window_start=EARLIER, window_end=EARLIER, last_run=EARLIER, last_success=EARLIER)
    result = RunAggregator(NOW - timedelta(days=1), NOW).stats("n8n:a", old)
    assert result.last_run == EARLIER and result.last_success == EARLIER and result.statuses == {}


def test_daily_merge_keeps_the_larger_count_and_drops_the_oldest():
    day = date(2026, 11, 20)
    old = [DailyBucket(day=day - timedelta(days=KEEP_DAYS + 1), runs=1, failed=0),
           DailyBucket(day=day, runs=10, failed=1), DailyBucket(day=day + timedelta(days=1), runs=2, failed=0)]
    new = [DailyBucket(day=day, runs=3, failed=0), DailyBucket(day=day + timedelta(days=1), runs=5, failed=2),
           DailyBucket(day=day + timedelta(days=2), runs=4, failed=0)]
    merged = merge_daily(old, new, keep_from=day - timedelta(days=KEEP_DAYS))
    assert [(b.day - day).days for b in merged] == [0, 1, 2]
    assert [(b.runs, b.failed) for b in merged] == [(10, 1), (5, 2), (4, 0)]  # pruned runs do not shrink a day


def test_error_messages_fold_into_groups():
    assert normalise_error("Timeout after 3000 ms on order 12345") == normalise_error("Timeout after 45 ms on order 7")
    assert normalise_error("Request failed with status code 404") != normalise_error(
        "Request failed with status code 500")  # HTTP statuses tell errors apart
    assert "404" in normalise_error("Request failed with status code 404")
    assert normalise_error("Unknown column 'email' in table \"leads\"") == "Unknown column '…' in table '…'"
    assert normalise_error("   ") == "(no message)"
    token = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
    folded = normalise_error(f"Stripe rejected key {token}")
    assert token not in folded and "redacted" in folded
    runs = RunAggregator(NOW - timedelta(days=1), NOW)
    for order, when in ((12345, NOW - timedelta(hours=3)), (777, NOW - timedelta(hours=1))):
        runs.add_error("make:m", f"Record {order} not found at https://erp.example/orders/{order}", "ERP", when)
    runs.add_error("make:m", "Something else", None, None)
    (first, second) = runs.stats("make:m").top_errors
    assert (first.count, first.step, first.last_seen) == (2, "ERP", NOW - timedelta(hours=1))
    assert first.message == "Record <n> not found at <url>" and second.count == 1


# --------------------------------------------------------------------------------------------------
# The rate limiter


class FakeClock:
    def __init__(self):
        self.now, self.slept = 100.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_the_rate_limiter_lets_a_burst_through_then_waits_for_the_window():
    clock = FakeClock()
    limiter = RateLimiter(3, window=10.0, margin=0.5, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        limiter.acquire()
    assert clock.slept == []
    clock.now += 4.0
    limiter.acquire()  # the oldest of the last three is 4 s old: wait until it is 10.5 s old
    assert clock.slept == [6.5]
    limiter.acquire()
    limiter.acquire()
    assert clock.slept == [6.5] and clock.now == 110.5  # the other two of the burst left the window with it
    limiter.acquire()
    assert clock.slept == [6.5, 10.5]


def test_the_rate_limiter_never_goes_below_one_request():
    clock = FakeClock()
    limiter = RateLimiter(0, window=1.0, margin=0.0, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.acquire()
    assert clock.slept == [1.0]


# --------------------------------------------------------------------------------------------------
# Pagination on the HTTP client


def client(handler, **kwargs) -> ApiClient:
    return ApiClient("https://platform.example/api", {"X-Key": "secret-key-value"}, platform="test",
                     transport=httpx.MockTransport(handler), retry=RetryPolicy(attempts=1), **kwargs)


def test_cursor_pages_until_there_is_no_cursor():
    pages = {None: ([1, 2], "c1"), "c1": ([3, 4], "c2"), "c2": ([5], None)}
    seen = []

    def handler(request):
        items, following = pages[request.url.params.get("cursor")]
        assert request.url.params["limit"] == "2" and request.headers["X-Key"] == "secret-key-value"
        return httpx.Response(200, json={"data": [{"n": n} for n in items], "nextCursor": following})
    with client(handler) as api:
        items = [i["n"] for i in api.cursor("/items", limit=2, on_page=seen.append)]
    assert items == [1, 2, 3, 4, 5] and seen == [2, 2, 1] and api.requests == 3


def test_a_repeated_cursor_and_an_endless_list_stop_with_an_error():
    def looping(request):
        return httpx.Response(200, json={"data": [{}], "nextCursor": "same"})
    with client(looping) as api, pytest.raises(PlatformError, match="a page cursor it had sent before") as failure:
        list(api.cursor("/items"))
    assert "secret-key-value" not in str(failure.value) and "cursor=" not in str(failure.value)

    def endless(request):
        return httpx.Response(200, json={"data": [{}], "nextCursor": str(int(request.url.params.get("cursor", 0)) + 1)})
    with client(endless, max_pages=5) as api, pytest.raises(PlatformError, match="more than 5 pages"):
        list(api.cursor("/items"))
    assert api.requests == 5


def test_an_answer_without_the_list_is_a_platform_error():
    with client(lambda request: httpx.Response(200, json={"items": []})) as api, \
            pytest.raises(PlatformError, match="unexpected answer \\(no 'data' list\\)"):
        list(api.cursor("/items"))


def test_offset_pages_until_a_short_page_and_refuses_the_same_page_twice():
    def handler(request):
        offset = int(request.url.params["pg[offset]"])
        return httpx.Response(200, json={"things": [{"id": i} for i in range(offset, min(offset + 2, 5))]})
    with client(handler) as api:
        assert [t["id"] for t in api.offset("/things", "things", {"teamId": 1}, size=2)] == [0, 1, 2, 3, 4]

    def ignores_offset(request):
        return httpx.Response(200, json={"things": [{"id": 1}, {"id": 2}]})
    with client(ignores_offset) as api, pytest.raises(PlatformError, match="the same page twice"):
        list(api.offset("/things", "things", size=2))


def test_keyset_pages_pass_the_last_marker_on():
    markers = []

    def handler(request):
        last = request.url.params.get("pg[last]")
        markers.append(last)
        start = int(last or 0)
        items = [{"id": i} for i in range(start + 1, min(start + 3, 6))]
        return httpx.Response(200, json={"logs": items, "pg": {"last": str(items[-1]["id"]) if items else None}})
    with client(handler) as api:
        assert [i["id"] for i in api.keyset("/logs", "logs", {"pg[sortDir]": "desc"}, size=2)] == [1, 2, 3, 4, 5]
    assert markers == [None, "2", "4"]

    def stuck(request):
        return httpx.Response(200, json={"logs": [{}, {}], "pg": {"last": "7"}})
    with client(stuck) as api, pytest.raises(PlatformError, match="a page marker it had sent before"):
        list(api.keyset("/logs", "logs", size=2))


def test_link_pages_follow_next_and_read_a_wrapped_body():
    def handler(request):
        page = int(request.url.params.get("page", 1))
        following = f"https://platform.example/api/items?page={page + 1}&limit=1" if page < 3 else None
        body = {"data": [{"n": page}], "links": {"next": following}}
        return httpx.Response(200, json=[body] if page == 2 else body)  # a one-element array, as Zapier sends
    with client(handler) as api:
        assert [i["n"] for i in api.link("/items", limit=1)] == [1, 2, 3]

    def looping(request):
        return httpx.Response(200, json={"data": [{}], "links": {"next": "https://platform.example/api/items?page=2"}})
    with client(looping) as api, pytest.raises(PlatformError, match="a next-page link it had sent before"):
        list(api.link("/items"))


# --------------------------------------------------------------------------------------------------
# The platform registry


def test_every_platform_has_a_spec_and_a_connector():
    assert set(SPECS) == set(Platform) == set(CONNECTORS)
    for kind, connector in CONNECTORS.items():
        assert connector.spec is SPECS[kind] and connector.spec.kind is kind
        assert "api_key_env" in connector.spec.required and connector.spec.key_scopes
        assert all(hasattr(PlatformConfig, setting) or setting in PlatformConfig.model_fields
                   for setting in connector.spec.required)
    assert (Platform.make.label, Platform.make.workflow_noun, Platform.zapier.workflow_noun) == ("Make", "scenario", "Zap")
    assert PlatformConfig(kind="zapier", name="Z").kind is Platform.zapier  # client.yml and the snapshot: one enum
