"""The one HTTP layer every connector uses: auth header, timeouts, bounded retries, pacing, pagination.

Retries: 429, 500, 502, 503, 504, timeouts, dropped connections and unreadable JSON are retried with
exponential backoff and full jitter, waiting what `Retry-After` asks when the server says so, up to
`attempts` tries. Anything else is an error at once. Errors name the request by method and path only:
the key travels in a header and never appears in a message, and query strings (cursors, filters) are
left out so a message stays readable.

Pagination: the four ways the platforms page a list are methods of `ApiClient` — `cursor()` (n8n's
`{data, nextCursor}`), `offset()` (Make's `pg[offset]`), `keyset()` (Make's `pg[last]`) and `link()`
(Zapier's `links.next`). Each yields items page by page, never holding more than one page, and all
share one guard: a cursor, page or link the server sent before, or more than `max_pages` pages, stops
the sync with an error instead of looping. `docs/platforms.md` has the shapes.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlsplit

import httpx

from generator.errors import PlatformError

RETRY_STATUSES = {429, 500, 502, 503, 504}


class AccessDenied(PlatformError):
    """403: the key lacks the scope (or the licence) for this resource."""


class NotAvailable(PlatformError):
    """404/405 on a collection: this platform version does not offer it."""


@dataclass
class RetryPolicy:
    attempts: int = 6  # tries per request, first one included
    base_delay: float = 0.5  # seconds; doubles each retry
    max_delay: float = 30.0  # cap on one computed backoff
    max_retry_after: float = 120.0  # a longer Retry-After is an error, not a silent long wait
    cooldown_429: float | None = None  # a 429 without Retry-After waits this long (per-minute limits)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def backoff(self, retry: int) -> float:
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**retry))


class RateLimiter:
    """At most `limit` requests in any `window` seconds, shared by every thread of one sync.

    A sliding window: a request waits until the oldest of the last `limit` requests is `window` (plus
    a small margin for the server's clock and the network) in the past. Bursts are allowed up to the
    limit, so a sync takes about requests ÷ limit minutes, and never trips the platform's own counter."""

    def __init__(self, limit: int, window: float = 60.0, margin: float = 0.25,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.limit, self.window, self.margin = max(1, limit), window, margin
        self._clock, self._sleep = clock, sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and now - self._sent[0] >= self.window + self.margin:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                wait = self._sent[0] + self.window + self.margin - now
            self._sleep(wait)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the server asks us to wait: `Retry-After` as seconds or an HTTP date."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _message(response: httpx.Response) -> str:
    """The platform's own error text, short, from the common body shapes."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    if isinstance(body, dict):
        for key in ("message", "detail", "error"):
            value = body.get(key)
            if isinstance(value, str):
                return value[:200]
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return value["message"][:200]
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("detail") or errors[0].get("title") or "")[:200]
    return ""


class ApiClient:
    """A session against one platform: base URL, auth headers, retries, and a request counter."""

    def __init__(self, base_url: str, headers: dict[str, str], *, platform: str, key_env: str | None = None,
                 timeout: float = 30.0, retry: RetryPolicy | None = None, transport=None,
                 limiter: RateLimiter | None = None, max_pages: int = 100_000):
        self.platform = platform
        self.key_env = key_env
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self.throttled = 0  # 429 answers received
        self._count = threading.Lock()  # connectors fetch from several threads
        self.requests = 0
        self.max_pages = max_pages  # per list: more is taken for a server that never ends a list
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout,
                                  transport=transport, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def where(self, method: str, path: str) -> str:
        """`n8n GET https://host/api/v1/workflows`: no query string, no user info, never the key."""
        base = self._http.base_url.copy_with(query=None, fragment=None, username=None, password=None)
        return f"{self.platform} {method} {str(base).rstrip('/')}{path}"

    def request(self, method: str, path: str, *, params: dict | None = None, body=None):
        """The decoded JSON of a successful answer; retried as the module doc says."""
        where = self.where(method, path)
        for attempt in range(self.retry.attempts):
            last = attempt == self.retry.attempts - 1
            wait: float | None = None
            if self.limiter:
                self.limiter.acquire()
            with self._count:
                self.requests += 1
            try:
                response = self._http.request(method, path, params=params, json=body)
            except httpx.TimeoutException:
                problem = "timed out"
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__})"
            else:
                if response.status_code < 300:
                    try:
                        return response.json()
                    except ValueError:
                        problem = "answered with unreadable (truncated or non-JSON) data"
                elif response.status_code in RETRY_STATUSES:
                    problem = f"answered {response.status_code} {_message(response)}".rstrip()
                    wait = retry_after(response)
                    if response.status_code == 429:
                        self.throttled += 1
                        if wait is None:
                            wait = self.retry.cooldown_429
                    if wait is not None and wait > self.retry.max_retry_after:
                        raise PlatformError(f"{where}: {problem}; the server asks to wait {wait:.0f} s",
                                            response.status_code, "try again later")
                else:
                    raise self._final(where, response)
            if last:
                break
            self.retry.sleep(wait if wait is not None else self.retry.backoff(attempt))
        raise PlatformError(f"{where}: {problem} (gave up after {self.retry.attempts} tries)", None,
                            "check that the platform is reachable and healthy, then sync again")

    def _final(self, where: str, response: httpx.Response) -> PlatformError:
        status, text = response.status_code, _message(response)
        said = f" ({text})" if text else ""
        if status == 401:
            return PlatformError(f"{where}: the API key was refused (401){said}", status,
                                 f"check the key in ${self.key_env}: is it current, and for this instance?")
        if status == 403:
            return AccessDenied(f"{where}: access denied (403){said}", status, detail=text)
        if status in (404, 405):
            return NotAvailable(f"{where}: not available ({status}){said}", status, detail=text)
        return PlatformError(f"{where}: answered {status}{said}", status, detail=text)

    def get(self, path: str, params: dict | None = None):
        return self.request("GET", path, params=params)

    def post(self, path: str, body=None):
        return self.request("POST", path, body=body)

    # ----------------------------------------------------------------------------------------------
    # Pagination

    def _list(self, body, path: str, key: str, hint: str = "") -> list:
        items = body.get(key) if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise PlatformError(f"{self.where('GET', path)}: unexpected answer (no '{key}' list)", None, hint)
        return items

    def cursor(self, path: str, params: dict | None = None, *, limit: int = 250, key: str = "data",
               on_page: Callable[[int], None] | None = None, hint: str = "") -> Iterator[dict]:
        """Items of a `{data, nextCursor}` list: `cursor=` the last page's `nextCursor` until there is none."""
        guard = _Guard(self, path, "a page cursor it had sent before")
        cursor: str | None = None
        while True:
            guard.page()
            query = dict(params or {}, limit=limit)
            if cursor:
                query["cursor"] = cursor
            try:
                page = self.get(path, query)
            except PlatformError as exc:
                if cursor and exc.status == 400:
                    raise PlatformError(f"{exc} — the server rejected the page cursor it gave us", 400,
                                        "sync again; if it repeats, report it to the platform") from None
                raise
            items = self._list(page, path, key, hint)
            if on_page:
                on_page(len(items))
            yield from items
            cursor = page.get("nextCursor")
            if not cursor:
                return
            guard.seen(cursor)

    def offset(self, path: str, key: str, params: dict | None = None, *, size: int = 100,
               on_page: Callable[[int], None] | None = None) -> Iterator[dict]:
        """Items of a list paged by `pg[offset]` and `pg[limit]`: a page shorter than `size` is the last."""
        guard = _Guard(self, path, "the same page twice")
        number = 0
        while True:
            guard.page()
            items = self._list(self.get(path, dict(params or {}, **{"pg[offset]": number * size, "pg[limit]": size})),
                               path, key)
            if items:  # a server that ignores the offset sends its first page again
                guard.seen(repr(items[0]))
            if on_page:
                on_page(len(items))
            yield from items
            if len(items) < size:
                return
            number += 1

    def keyset(self, path: str, key: str, params: dict | None = None, *, size: int = 100,
               on_page: Callable[[int], None] | None = None) -> Iterator[dict]:
        """Items of a list paged by `pg[last]`, the marker of the last item the previous page gave
        (`{…, "pg": {"last": …}}`): a page shorter than `size`, or one without a marker, is the last."""
        guard = _Guard(self, path, "a page marker it had sent before")
        query = dict(params or {}, **{"pg[limit]": size})
        while True:
            guard.page()
            body = self.get(path, query)
            items = self._list(body, path, key)
            if on_page:
                on_page(len(items))
            yield from items
            last = (body.get("pg") or {}).get("last") if items else None
            if len(items) < size or not last:
                return
            guard.seen(str(last))
            query = dict(query, **{"pg[last]": last})

    def link(self, path: str, params: dict | None = None, *, limit: int = 100, key: str = "data",
             on_page: Callable[[int], None] | None = None) -> Iterator[dict]:
        """Items of a `{data, links, meta}` list, following `links.next` (a full URL) to its end. A body
        wrapped in a one-element array (as Zapier's published schema has it) is read as the object."""
        guard = _Guard(self, path, "a next-page link it had sent before")
        query: dict = dict(params or {}, limit=limit)
        while True:
            guard.page()
            body = unwrap_one(self.get(path, query))
            items = self._list(body, path, key)
            if on_page:
                on_page(len(items))
            yield from items
            following = (body.get("links") or {}).get("next")
            if not following:
                return
            guard.seen(following)
            parts = urlsplit(following)
            path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))


def unwrap_one(body):
    """A one-element array holding an object, as that object (a quirk of Zapier's list answers)."""
    if isinstance(body, list) and len(body) == 1 and isinstance(body[0], dict):
        return body[0]
    return body


class _Guard:
    """The one loop guard of every pagination strategy: a marker (cursor, first item, link) seen before
    means the server is looping, and a list longer than the client's `max_pages` never ends."""

    def __init__(self, api: ApiClient, path: str, repeated: str):
        self.api, self.path, self.repeated = api, path, repeated  # what the error says the server sent
        self.pages = 0
        self.markers: set[str] = set()

    def page(self) -> None:
        self.pages += 1
        if self.pages > self.api.max_pages:
            raise PlatformError(f"{self.api.where('GET', self.path)}: more than {self.api.max_pages} pages", None,
                                "stopped so the sync cannot run forever")

    def seen(self, marker: str) -> None:
        if marker in self.markers:
            raise PlatformError(f"{self.api.where('GET', self.path)}: the server sent {self.repeated}", None,
                                "stopped so the sync cannot loop; sync again or report it to the platform")
        self.markers.add(marker)
