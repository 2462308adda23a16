"""The one HTTP layer every connector uses: auth header, timeouts, bounded retries, pagination.

Retries: 429, 500, 502, 503, 504, timeouts, dropped connections and unreadable JSON are retried with
exponential backoff and full jitter, waiting what `Retry-After` asks when the server says so, up to
`attempts` tries. Anything else is an error at once. Errors name the request by method and path only:
the key travels in a header and never appears in a message, and query strings (cursors, filters) are
left out so a message stays readable.
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
        self.waited = 0.0

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
            self.waited += wait
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
                 limiter: RateLimiter | None = None):
        self.platform = platform
        self.key_env = key_env
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self.throttled = 0  # 429 answers received
        self._count = threading.Lock()  # connectors fetch from several threads
        self.requests = 0
        self.retries = 0
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout,
                                  transport=transport, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _where(self, method: str, path: str) -> str:
        """`n8n GET https://host/api/v1/workflows`: no query string, no user info, never the key."""
        base = self._http.base_url.copy_with(query=None, fragment=None, username=None, password=None)
        return f"{self.platform} {method} {str(base).rstrip('/')}{path}"

    def request(self, method: str, path: str, *, params: dict | None = None, body=None):
        """The decoded JSON of a successful answer; retried as the module doc says."""
        where = self._where(method, path)
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
            self.retries += 1
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


@dataclass
class Pages:
    """Counts pages as they stream past, for the progress bar and the summary."""

    pages: int = 0
    items: int = 0
    on_page: Callable[[int], None] | None = None


def paginate_cursor(api: ApiClient, path: str, params: dict | None = None, *, limit: int = 250,
                    max_pages: int = 100_000, counter: Pages | None = None) -> Iterator[dict]:
    """Items of a `{data, nextCursor}` collection, page by page, never holding more than one page.

    A cursor seen before means the server is looping; that, and more than `max_pages` pages, stop the
    sync with an error rather than spinning forever."""
    seen: set[str] = set()
    cursor: str | None = None
    for _ in range(max_pages):
        query = dict(params or {}, limit=limit)
        if cursor:
            query["cursor"] = cursor
        try:
            page = api.get(path, query)
        except PlatformError as exc:
            if cursor and exc.status == 400:
                raise PlatformError(f"{exc} — the server rejected the page cursor it gave us", 400,
                                    "sync again; if it repeats, report it to the platform") from None
            raise
        data = page.get("data") if isinstance(page, dict) else None
        if not isinstance(data, list):
            raise PlatformError(f"{api._where('GET', path)}: unexpected answer (no 'data' list)", None,
                                "is the base URL an n8n instance's address?")
        if counter:
            counter.pages += 1
            counter.items += len(data)
            if counter.on_page:
                counter.on_page(len(data))
        yield from data
        cursor = page.get("nextCursor")
        if not cursor:
            return
        if cursor in seen:
            raise PlatformError(f"{api._where('GET', path)}: the server sent a page cursor it had sent before",
                                None, "stopped so the sync cannot loop; sync again or report it to the platform")
        seen.add(cursor)
    raise PlatformError(f"{api._where('GET', path)}: more than {max_pages} pages", None,
                        "stopped so the sync cannot run forever")

