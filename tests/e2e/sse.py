"""A Server-Sent Events client for the tests: reads a stream in a thread.

Events and comments land in queues as the spec's parser would deliver them
(https://html.spec.whatwg.org/multipage/server-sent-events.html), so a test
waits for the next one with a timeout instead of sleeping.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass

import httpx


@dataclass
class Event:
    id: str | None
    data: str
    event: str = "message"


class SSE:
    """GET `url` as an event stream until close(); one thread per reader.

    The reader notices close() after its next line, so the server should send
    keep-alive comments often (SCRIPT_STREAM_KEEPALIVE_SECONDS) in these tests.
    """

    def __init__(self, url: str, headers: dict | None = None, timeout: float = 10.0):
        self.url = url
        self.headers = headers or {}
        self.timeout = timeout
        self.events: queue.Queue[Event] = queue.Queue()
        self.comments: queue.Queue[str] = queue.Queue()
        self.opened = threading.Event()  # the answer's headers are in
        self.connected = threading.Event()  # the ": connected" comment arrived
        self.ended = threading.Event()  # the server ended the stream (or failed)
        self.status: int | None = None
        self.response_headers: httpx.Headers | None = None
        self.body = b""  # of an answer other than 200
        self.retry: int | None = None
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SSE:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> SSE:
        return self.__enter__()

    def close(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def wait_connected(self) -> SSE:
        """Wait for the stream to be subscribed (its first comment)."""
        if not self.connected.wait(self.timeout):
            raise AssertionError(
                f"{self.url}: not connected (status {self.status}, "
                f"body {self.body[:300]!r}, error {self.error!r})"
            )
        return self

    def next(self, timeout: float | None = None) -> Event:
        try:
            return self.events.get(timeout=timeout or self.timeout)
        except queue.Empty:
            raise AssertionError(f"{self.url}: no event came") from None

    def next_comment(self, timeout: float | None = None) -> str:
        try:
            return self.comments.get(timeout=timeout or self.timeout)
        except queue.Empty:
            raise AssertionError(f"{self.url}: no comment came") from None

    def wait_ended(self, timeout: float | None = None) -> bool:
        return self.ended.wait(timeout or self.timeout)

    def _run(self) -> None:
        try:
            timeout = httpx.Timeout(self.timeout, read=60.0)
            with (
                httpx.Client(timeout=timeout) as client,
                client.stream("GET", self.url, headers=self.headers) as response,
            ):
                self.status = response.status_code
                self.response_headers = response.headers
                self.opened.set()
                if response.status_code != 200:
                    self.body = response.read()
                    return
                self._parse(response.iter_lines())
        except BaseException as exc:  # noqa: BLE001 - kept for the test to show
            self.error = exc
        finally:
            self.opened.set()
            self.ended.set()

    def _parse(self, lines) -> None:
        event_id, data, kind = None, [], "message"
        for line in lines:
            if self._stop.is_set():
                return
            if line == "":
                if data:
                    self.events.put(Event(event_id, "\n".join(data), kind))
                data, kind = [], "message"
                continue
            if line.startswith(":"):
                comment = line[1:].strip()
                if comment == "connected":
                    self.connected.set()
                self.comments.put(comment)
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                data.append(value)
            elif name == "id":
                event_id = value
            elif name == "event":
                kind = value
            elif name == "retry" and value.isdigit():
                self.retry = int(value)
