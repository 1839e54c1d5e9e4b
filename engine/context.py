"""One warm V8 context running one version of one script."""

from __future__ import annotations

import asyncio
import ctypes
import functools
import json
import logging
import os
import queue
import re
import secrets
import struct
import sys
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.deadlines import within
from engine.errors import (
    CompileError,
    EngineError,
    EngineUnavailable,
    ScriptMemoryExceeded,
    ScriptRuntimeError,
    ScriptTimeout,
    parse_v8_report,
)
from engine.host import NO_HOST, Host

try:  # R1: the only import of py_mini_racer in the project.
    from py_mini_racer import (
        JSEvalException,
        JSOOMException,
        JSParseException,
        MiniRacer,
    )
except ImportError as exc:  # pragma: no cover - reported by the system check
    MiniRacer = None
    _IMPORT_ERROR = exc
else:
    _IMPORT_ERROR = None
try:  # private, hence the version pin in pyproject.toml; see _new_isolate()
    from py_mini_racer._mini_racer import _make_context
except ImportError:  # pragma: no cover - a mini-racer without it: build on the loop
    _make_context = None
if MiniRacer is not None:
    # V8's gc() lets the host collect a context's garbage inside an engine call
    # (__sh.fence), in order with its other calls and never blocking the event
    # loop; the sandbox takes it off the global object before any script runs.
    # A young generation of 1 MB (V8's default grows to 16 MB, most of a
    # script's 20 MB) makes V8 collect, and mini-racer check the heap against
    # its limits, every megabyte or so: a churning handler's heap then stays
    # near its live size (test_limits_memory_garbage.py), and each warm context
    # holds less memory. The first call decides V8's flags for the process, so
    # it is made here, in the only module that imports py_mini_racer (R1).
    from py_mini_racer import DEFAULT_V8_FLAGS, init_mini_racer

    init_mini_racer(
        flags=(*DEFAULT_V8_FLAGS, "--expose-gc", "--max-semi-space-size=1"),
        ignore_duplicate_init=True,
    )

log = logging.getLogger(__name__)
_HERE = Path(__file__).parent


def strip_comment_lines(js: str) -> str:
    """`js` without its lines that hold only a // comment.

    Every context compiles the sandbox and prelude, whose comments are a
    quarter of their text: V8 scans them on every build (about 0.3 ms of
    2 ms). Safe for sources with no template literal and no string continued
    on the next line, where such a line could be text
    (tests/engine/test_prelude_source.py checks both files).
    """
    return "\n".join(
        line for line in js.split("\n") if not line.lstrip().startswith("//")
    )


_SANDBOX = strip_comment_lines((_HERE / "sandbox.js").read_text())
_CORE = strip_comment_lines((_HERE / "prelude.js").read_text())
_BUILTIN_MODULES = tuple(p.read_text() for p in sorted((_HERE / "api").glob("*.js")))


def _compose(body: str) -> str:
    """Wrap `body` in the sandbox and prelude; `api` is in scope for it.

    sandbox.js and prelude.js are function expressions: the sandbox returns the
    private handle the prelude needs, the prelude returns the handle each API
    module (`function (g, api) {...}`) gets, so neither is reachable from a script.
    """
    return (
        f"(function () {{ const api = ({_CORE})(globalThis, ({_SANDBOX})(globalThis));\n"
        f"{body}\n}})();"
    )


def builtin_modules() -> tuple[str, ...]:
    """The engine's own JS modules (engine/api/*.js), run before the apps'."""
    return _BUILTIN_MODULES


@functools.lru_cache(maxsize=8)
def module_exports(modules: tuple[str, ...]) -> tuple[dict, ...]:
    """Return what each module makes: {"globals", "provides", "contributes"}.

    `contributes` lists [object, member] pairs the module adds to the
    prelude's objects (routeRegistry) with api.contribute.
    """
    probe = "\n".join(
        "found.push({globals: [], provides: [], contributes: []});\n"
        f"({m})(globalThis, Object.assign({{}}, api, {{"
        " define(name, value) { found[found.length - 1].globals.push(name);"
        " api.define(name, value); },"
        " provide(name, value) { found[found.length - 1].provides.push(name);"
        " api.provide(name, value); },"
        " contribute(object, members) { for (const member of Object.keys(members))"
        " found[found.length - 1].contributes.push([object, member]);"
        " api.contribute(object, members); } }));"
        for m in modules
    )
    racer = MiniRacer()
    try:
        found = racer.eval(
            "var found = [];" + _compose(probe) + "JSON.stringify(found);"
        )
    finally:
        racer.close()
    return tuple(json.loads(found))


@functools.lru_cache(maxsize=8)
def prelude_with(modules: tuple[str, ...] = ()) -> str:
    """Compose sandbox, prelude and API modules into the code run in every context.

    Each module is installed on first use of a global it defines, a value it
    provides or a member it contributes (api.lazy), so a context pays only for
    the modules its script touches: V8 scans a module kept as a string far
    faster than it parses it as code.

    A lazy module's source is not in that code either: only its number, and
    the context reads the source from the host (over its channel, _Channel)
    the first time it installs it. A context then holds the text of the
    modules its script uses only (every module's text in every context cost
    about 0.75 MB each; test_modules_fetched.py). A module installed at once
    (one that defines, provides and contributes nothing) stays inline.

    The modules are declared once the host has attached (__sh.declare, after
    __sh.attach), so that one installed at once can already read another's
    source.
    """
    return _compose(
        "api.whenAttached(function () {\n"
        + "\n".join(
            f"api.lazy({json.dumps(made['globals'])}, {json.dumps(made['provides'])},"
            f" {json.dumps(source) if _installed_at_once(made) else index},"
            f" {json.dumps(made['contributes'])});"
            for index, (source, made) in enumerate(_every_module(modules))
        )
        + "\napi.seal();\n});"
    )


def _every_module(modules: tuple[str, ...]) -> list[tuple[str, dict]]:
    """(source, module_exports entry) of the engine's modules, then `modules`."""
    every = (*_BUILTIN_MODULES, *modules)
    return list(zip(every, module_exports(every), strict=True))


def _installed_at_once(made: dict) -> bool:
    return not (made["globals"] or made["provides"] or made["contributes"])


@functools.lru_cache(maxsize=8)
def module_texts(modules: tuple[str, ...] = ()) -> tuple[bytes | None, ...]:
    """The answers to a context's requests for module sources (prelude_with),
    by number, as the channel sends them (UTF-16-LE); None for inline modules.
    """
    return tuple(
        None
        if _installed_at_once(made)
        else source.encode("utf-16-le", "surrogatepass")
        for source, made in _every_module(modules)
    )


# Past this share of the memory limit, the heap (garbage included) is collected
# after the call that left it there (see _heap_full_of_garbage).
HEAP_COLLECT_SHARE = 0.4
# After a collection that left the heap past that share (live data, not
# garbage), the next look comes this many calls later.
HEAP_COLLECT_BACKOFF_CALLS = 8
# An invocation is over once the microtasks it queued have run (R7), which the
# fence after it proves (ScriptContext._fenced). The fence may wait behind
# other calls queued on the context: it gets this long past the deadline.
FENCE_GRACE_SECONDS = 0.05
# The caps the prelude enforces unless the engine's config says otherwise;
# the host enforces the log caps again on what comes back (_capped_logs).
DEFAULT_CAPS = {
    "maxLogs": 1000,
    "maxLogChars": 8192,
    "maxOutputChars": 32 * 1024 * 1024,
    "maxHostCallChars": 16 * 1024 * 1024,
}
# A runaway loop of host calls fails the invocation here, whatever the time limit.
MAX_HOST_CALLS = 10_000
# V8 ends a line at any of these (ECMA-262 LineTerminatorSequence).
_LINE_BREAK = re.compile("\r\n|[\n\r\u2028\u2029]")
# Frames of the prelude, of the host's calls into it and of built-ins.
_PRELUDE_FRAME = re.compile(r"^\s*at .*<anonymous>")
_ERROR_CODES = {
    "HandlerNotFound": "handler_not_found",
    "UnsettledPromise": "unsettled_promise",
    "OutputLimit": "output_too_large",
}


def _fields_fit(fields, longest: int) -> bool:
    """Are a log entry's structured fields an object of at most `longest` JSON chars?"""
    if not isinstance(fields, dict):
        return False
    try:
        return len(json.dumps(fields, ensure_ascii=False)) <= longest
    except (TypeError, ValueError):
        return False


# Creating an isolate takes mini-racer about 2.5 ms in one blocking call (V8
# deserialises its snapshot): done here, it leaves the event loop serving.
# (Freeing one, up to 1.5 ms, is the closer thread's: _Closer.)
_CREATOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="v8-isolate")


if MiniRacer is not None:

    class _Isolate(MiniRacer):
        """A MiniRacer whose context was made off the event loop.

        MiniRacer() also evaluates a setTimeout shim, synchronously; the sandbox
        removes timers anyway, so that call is skipped here.
        """

        keeper = None  # its _ThreadKeeper (set by _new_isolate)

        def __init__(self, maker, context):
            self._own_context_maker = maker
            self._ctx = context

        def __del__(self):
            # Dropped without a close, perhaps by a garbage collection in a
            # callback on an isolate's thread: freed by the closer instead.
            if threading.get_ident() in _ISOLATE_THREADS:
                _CLOSER.free(self)
                return
            super().__del__()


# How much lower than the server's own threads scripts run (Linux nice, 0-19).
# V8 runs each isolate on a thread of its own, which inherits the nice value
# of the thread that made it: the v8-isolate threads above. So a burst of
# busy scripts cannot starve the event loop that accepts requests, refuses
# them (R9's 429s), answers /health and delivers stream messages; scripts
# get whatever CPU the server leaves, which is all of it when it is idle.
_script_nice = 0


def set_script_nice(nice: int) -> None:
    """Run contexts made from now on at `nice` (see _script_nice)."""
    global _script_nice
    if not 0 <= nice <= 19:
        raise ValueError("nice must be between 0 and 19")
    _script_nice = nice


def script_nice() -> int:
    return _script_nice


def _lower_this_thread(nice: int) -> None:
    """Give the calling thread (only) at least `nice`; Linux only.

    On Linux a thread id names one thread for setpriority(PRIO_PROCESS);
    elsewhere it would name the whole process, so nothing changes there.
    A thread can lower its own priority, never raise it back unprivileged,
    hence "at least".
    """
    if not nice or not sys.platform.startswith("linux"):
        return
    tid = threading.get_native_id()
    try:
        if os.getpriority(os.PRIO_PROCESS, tid) < nice:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
    except OSError:  # pragma: no cover - a sandbox that forbids it
        log.warning("Could not lower the script threads' priority", exc_info=True)


# -- the isolate thread's Python thread state ----------------------------------------
#
# mini-racer answers every engine call, and every notification of a host call,
# from the isolate's own thread (a C++ thread, one per isolate) through a ctypes
# callback. Python gives such a thread a thread state for the callback and
# deletes it after, every time: with it goes the 16 KiB chunk of its frame
# stack, which CPython maps and unmaps (mmap/munmap) each time, and munmap in a
# process with many threads is expensive for all of them. Measured in one
# process, a round trip of `1` at 64 calls at once: 47 us of CPU and 24,000/s
# with a thread state per callback; 14.5 us and 77,000/s with one kept.
#
# So the first callback on an isolate's thread takes one more hold of its
# thread state (PyGILState_Ensure, from Python: the GIL is held there), which
# keeps it between callbacks. Closing the context lets go of it: the next
# callback on that thread releases the hold, and the thread state goes with
# that callback, as before. The close makes sure there is such a callback (a
# nudge: an engine call of its own), and the closer thread frees the isolate
# once it has come (_Closer). mini-racer's callback path is private (it calls
# `handle_callback_from_v8` on its Context): tests/engine/test_thread_states.py
# pins it.

_gil_ensure = ctypes.pythonapi.PyGILState_Ensure
_gil_ensure.restype = ctypes.c_int
_gil_ensure.argtypes = ()
_gil_release = ctypes.pythonapi.PyGILState_Release
_gil_release.restype = None
_gil_release.argtypes = (ctypes.c_int,)


class _ThreadKeeper:
    """Stands in for a mini-racer Context's handle_callback_from_v8 (see above).

    On the isolate's thread it only takes or releases the hold and sets
    flags: it drops no reference there that could free a MiniRacer, and so
    never blocks on an isolate (which could be its own).
    """

    def __init__(self, mr_context):
        # The Context holds this keeper; this keeper holds it weakly, so that
        # no reference cycle keeps a closed one until a garbage collection.
        self._context = weakref.ref(mr_context)
        self._forward = type(mr_context).handle_callback_from_v8
        self._thread: int | None = None
        self._hold: int | None = None  # what PyGILState_Ensure returned
        self._letting_go = False
        self._nudge_id: int | None = None
        self.released = False  # let go of (or never held): the isolate may go
        object.__setattr__(mr_context, "handle_callback_from_v8", self)

    def __call__(self, callback_id: int, raw) -> None:
        # On the isolate's thread, with the GIL. Nothing here may raise.
        if self._hold is None:
            if not self._letting_go:
                self._thread = threading.get_ident()
                self._hold = _gil_ensure()
                _ISOLATE_THREADS.add(self._thread)
        elif self._letting_go and threading.get_ident() == self._thread:
            _ISOLATE_THREADS.discard(self._thread)
            hold, self._hold = self._hold, None
            _gil_release(hold)
            self.released = True
        if callback_id == self._nudge_id:
            return  # the nudge's answer: nobody waits for it
        context = self._context()
        if context is not None:
            self._forward(context, callback_id, raw)

    def let_go(self, mr_context, nudge) -> None:
        """Release the kept thread state on the isolate's next callback, which
        the engine call `nudge` (a code handle) makes sure of; `released`
        says when it has.
        """
        self._letting_go = True
        if self._hold is None:
            self.released = True
            return
        self._nudge_id = next(mr_context._next_async_callback_id)
        mr_context._dll.mr_eval(mr_context._ctx, nudge.raw, self._nudge_id)


# Threads of isolates that hold a kept thread state (_ThreadKeeper).
_ISOLATE_THREADS: set[int] = set()

# How long the closer waits for an isolate's thread to let go of its thread
# state (a callback away, normally well under a millisecond) before it frees
# the isolate anyway; that one thread state is then left behind.
_LET_GO_SECONDS = 2.0


class _Closer:
    """Frees isolates, in a thread of its own, once their threads let go.

    Freeing an isolate (MiniRacer.close) blocks until V8's thread has
    disposed of it: never on the event loop, nor on an isolate's thread (a
    garbage collection that runs in a callback there must not free a
    MiniRacer, possibly its own: _Isolate.__del__ hands it here). The queue
    is a SimpleQueue: put() never blocks, whoever calls it.
    """

    def __init__(self):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def free(self, mr, keeper: _ThreadKeeper | None = None) -> None:
        deadline = time.monotonic() + _LET_GO_SECONDS
        self._queue.put((deadline, mr, keeper))

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="v8-closer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        waiting: list = []
        while True:
            try:
                # Block while nothing waits for its thread to let go.
                waiting.append(self._queue.get(timeout=0.002 if waiting else None))
                while True:
                    waiting.append(self._queue.get_nowait())
            except queue.Empty:
                pass
            now = time.monotonic()
            still = []
            for deadline, mr, keeper in waiting:
                if keeper is None or keeper.released or now >= deadline:
                    try:
                        mr.close()
                    except Exception:  # noqa: BLE001 - the next one still goes
                        log.exception("Freeing an isolate failed")
                else:
                    still.append((deadline, mr, keeper))
            waiting = still
            mr = keeper = None  # no reference left here between rounds


_CLOSER = _Closer()


async def _new_isolate():
    """Return a MiniRacer bound to the running loop (R3), built in a thread."""
    if _make_context is None:
        return MiniRacer()
    loop = asyncio.get_running_loop()
    nice = _script_nice

    def build():
        _lower_this_thread(nice)  # the isolate's thread, made next, inherits it
        maker = _make_context(loop)
        return maker, maker.__enter__()

    _CLOSER.start()
    maker, context = await loop.run_in_executor(_CREATOR, build)
    isolate = _Isolate(maker, context)
    isolate.keeper = _ThreadKeeper(context)
    return isolate


@dataclass(frozen=True)
class Limits:
    """How long and how much memory one invocation may use."""

    seconds: float
    memory_bytes: int

    @classmethod
    def of(cls, seconds: float, megabytes: float) -> Limits:
        return cls(float(seconds), int(megabytes * 1024 * 1024))


@dataclass
class Outcome:
    """What one invocation produced: a value or an error, plus logs and effects."""

    value: Any = None
    error: EngineError | None = None
    logs: list[dict] = field(default_factory=list)
    effects: list[dict] = field(default_factory=list)
    registrations: dict | None = None
    registration_errors: list[str] = field(default_factory=list)
    dropped_logs: int = 0
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


def _frame_position(stack: str, filename: str) -> tuple[int | None, int | None]:
    match = re.search(re.escape(filename) + r":(\d+):(\d+)", stack or "")
    if not match:
        return None, None
    return int(match.group(1)), int(match.group(2))


def _clean_stack(stack: str) -> str:
    """Drop the prelude's and built-ins' frames: users act on their own lines."""
    return "\n".join(
        line for line in stack.split("\n") if not _PRELUDE_FRAME.match(line)
    ).strip()


# Put before a source that must run strict, on its first line so that no line
# number moves; columns of line 1 are given back (ScriptContext._unshift).
STRICT_DIRECTIVE = '"use strict";'


def _end_of(source: str) -> tuple[int, int]:
    """Return the line and column just past the last character of `source`."""
    lines = _LINE_BREAK.split(source)
    return len(lines), len(lines[-1]) + 1


def js_notification(mr, callback):
    """Return a context manager whose value is a JS function that notifies Python.

    Calling it from JS schedules `callback(handle)` on the event loop that owns
    the isolate, even while the script is still running (R6); the value it was
    called with is never read. mini-racer's public `wrap_py_function` cannot do
    this: it unpacks its arguments through the isolate, so it waits until the
    script yields. This is a private mini-racer API, hence the version pin in
    pyproject.toml and tests/engine/test_channel.py, which fails if it changes.
    """
    return mr._ctx._register_js_notification(callback)


def _settle(future: asyncio.Future, handle) -> None:
    """The isolate's answer to an engine call, on the loop: hand it over."""
    if not future.done():
        future.set_result(handle)


async def eval_handle(ctx, handle) -> Any:
    """Evaluate the code V8 string `handle` in mini-racer context `ctx`.

    What mini-racer's own `_run_cancelable_mr_task(_dll.mr_eval, ...)` does,
    with less Python per call (this is every engine call's path): the answer
    comes as a value handle through mini-racer's table of callbacks
    (`_active_cancelable_mr_task_callbacks`), and the task is cancelled in V8
    only when the caller stops waiting before it answered (a time limit, a
    kill). Private mini-racer API, pinned by tests/engine/test_channel.py.
    """
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    callbacks = ctx._active_cancelable_mr_task_callbacks
    callback_id = next(ctx._next_async_callback_id)
    callbacks[callback_id] = functools.partial(_settle, future)
    try:
        task_id = ctx._dll.mr_eval(ctx._ctx, handle.raw, callback_id)
        try:
            answer = await future
        except BaseException:
            ctx._dll.mr_cancel_task(ctx._ctx, task_id)
            raise
    finally:
        del callbacks[callback_id]
    return ctx._value_handle_to_python(answer)


class _Channel:
    """The host side of a context's synchronous host calls (R6).

    The sandbox makes a SharedArrayBuffer; mini-racer hands it to Python as a
    writable memoryview onto the same memory. Layout: a 32-byte header of
    little-endian int32 (ready flag, length in UTF-16 code units, the script's
    command, more-to-come flag, slow flag, three unused), then the data area.
    The script writes a request `[invocation, op, args]`, notifies, and waits on
    the ready flag (prelude.js, callHost); the host reads it, performs the call
    on the event loop, writes the answer `{"ok", "value" | "error"}` and sets
    the flag last. An answer that must wait for I/O sets the slow flag at once,
    so the script stops spinning and sleeps. Long requests and answers go in
    chunks. The script also asks, with ASK_MODULE and a number in the length
    field, for the source of an API module (prelude_with), answered at once as
    plain text. Nothing here calls into the isolate.
    """

    HEADER = 32
    UNITS = 32768  # UTF-16 code units of the data area (sandbox.js)
    ASK_CALL, ASK_MORE, ASK_NEXT, ASK_MODULE = 0, 1, 2, 3
    # The inbox, after the data area: a length (int32, 0 when free) per slot,
    # then the slots (sandbox.js). put() leaves an engine call's argument in
    # a free slot and the call names the slot, so its code never changes and
    # V8 compiles it once: a distinct code string costs V8 about 30-50 us
    # to compile, every call (prelude.js, fromInbox, frees the slot).
    INBOX_SLOTS = 64
    INBOX_SLOT_BYTES = 4096
    INBOX_AT = HEADER + 2 * UNITS
    SIZE = INBOX_AT + INBOX_SLOTS * (4 + INBOX_SLOT_BYTES)

    def __init__(
        self,
        buffer: memoryview,
        hosts: dict,
        on_call,
        max_request_units: int,
        modules: tuple[bytes | None, ...] = (),
    ):
        self.buffer = buffer
        self.units = self.UNITS
        self.hosts = hosts  # invocation id -> Host
        self.on_call = on_call  # (invocation id, op) -> bool: False refuses the call
        self.closed = False
        # The prelude refuses larger arguments; this holds whatever a script did.
        self.max_request_units = max_request_units
        # The API modules' sources the script may ask for (module_texts).
        self.modules = modules
        self._last_slot = 0  # the inbox slot put() took last
        self._request: list[bytes] = []
        self._request_units = 0
        self._answer = b""
        self._sent = 0
        self._serving: set[asyncio.Task] = set()
        self.waits = 0  # calls whose answer had to wait for I/O

    def notified(self, _handle) -> None:
        """The script asked something: a request chunk, a call, or more answer."""
        if self.closed:
            return
        buf = self.buffer
        _, length, command, _ = struct.unpack_from("<4i", buf, 0)
        if command == self.ASK_NEXT:
            self._send_chunk()
            return
        if command == self.ASK_MODULE:
            # The length field holds the module's number; the answer is its
            # source as it is, not JSON (prelude.js, moduleSource).
            text = self.modules[length] if 0 <= length < len(self.modules) else None
            self._answer = text or b""
            self._sent = 0
            self._send_chunk()
            return
        length = max(0, min(length, self.units))
        self._request_units += length
        if self._request_units <= self.max_request_units:
            self._request.append(bytes(buf[self.HEADER : self.HEADER + 2 * length]))
        if command == self.ASK_MORE:
            struct.pack_into("<3i", buf, 4, 0, command, 0)
            struct.pack_into("<i", buf, 0, 1)
            return
        raw, self._request = b"".join(self._request), []
        units, self._request_units = self._request_units, 0
        if units > self.max_request_units:
            self._answer_with(
                _refusal("RangeError", "The host call's arguments are over the limit")
            )
            return
        answer = self._start(raw)
        if isinstance(answer, dict):
            self._answer_with(answer)
            return
        struct.pack_into("<i", buf, 16, 1)  # slow: no point in spinning
        self.waits += 1
        task = asyncio.get_running_loop().create_task(self._finish(answer))
        self._serving.add(task)
        task.add_done_callback(self._serving.discard)

    def _start(self, raw: bytes):
        """Start the call `raw` asks for: its answer, or an awaitable of it."""
        try:
            inv, op, args = json.loads(raw.decode("utf-16-le", "surrogatepass"))
        except (ValueError, TypeError):
            return _refusal("Error", "The script broke the host-call protocol")
        host = self.hosts.get(inv)
        if host is None:
            return _refusal("Error", f"{op} is not available here")
        if not self.on_call(inv, op):
            return _refusal(
                "RangeError",
                f"Script made more than {MAX_HOST_CALLS} host calls in one run",
            )
        return host.start(op, args)

    async def _finish(self, pending) -> None:
        try:
            answer = await pending
        except Exception:  # a host call must always answer, or the script waits
            log.exception("A host call failed outside its handler")
            answer = _refusal("Error", "The host call failed on the server")
        self._answer_with(answer)

    def _answer_with(self, answer: dict) -> None:
        try:
            text = json.dumps(answer)
        except Exception:  # not JSON, or nested past Python's recursion limit
            log.exception("A host call answered with something that is not JSON")
            text = json.dumps(_refusal("Error", "The host call failed on the server"))
        self._answer = text.encode("utf-16-le", "surrogatepass")
        self._sent = 0
        self._send_chunk()

    def _send_chunk(self) -> None:
        if self.closed:
            return
        buf, start = self.buffer, self._sent
        end = min(len(self._answer), start + 2 * self.units)
        buf[self.HEADER : self.HEADER + end - start] = self._answer[start:end]
        self._sent = end
        more = 1 if end < len(self._answer) else 0
        struct.pack_into("<3i", buf, 4, (end - start) // 2, 0, more)
        # The ready flag last: the script reads the rest once it sees it.
        struct.pack_into("<i", buf, 0, 1)

    def put(self, data: bytes) -> int | None:
        """Leave `data` in a free inbox slot; its number, or None if none fits.

        Slot 0 when it is free, so that an idle context touches one page;
        else the first free slot after the one this rule took last. The
        isolate runs the calls, and frees their slots, in the order they were
        queued, so under load that one is nearly always free: no scan past
        the slots of the calls still queued. A slot is free again once the
        script has read it: a call queued and never run (its context then
        goes away) keeps it.
        """
        if self.closed or not data or len(data) > self.INBOX_SLOT_BYTES:
            return None
        buf = self.buffer
        slots = self.INBOX_SLOTS
        lengths = self.INBOX_AT
        if struct.unpack_from("<i", buf, lengths)[0] == 0:
            slot = 0
        else:
            for step in range(1, slots + 1):
                slot = (self._last_slot + step) % slots
                if struct.unpack_from("<i", buf, lengths + 4 * slot)[0] == 0:
                    break
            else:
                return None
            self._last_slot = slot
        start = lengths + 4 * slots + slot * self.INBOX_SLOT_BYTES
        buf[start : start + len(data)] = data
        # The length last: nothing reads the slot before the call that names
        # it, queued after this.
        struct.pack_into("<i", buf, lengths + 4 * slot, len(data))
        return slot

    def close(self) -> None:
        """Stop answering, and let go of the buffer and of the context.

        on_call is a method of the ScriptContext, which holds this channel:
        dropping it (and the buffer's view) here leaves no reference cycle,
        so a closed context's memory, V8's included, goes back as soon as
        the last reference does, not at the next cyclic garbage collection
        (measured: up to 85 MB more in use under context churn, pool 100).
        """
        self.closed = True
        for task in list(self._serving):
            task.cancel()
        self.buffer = None
        self.on_call = None
        self.hosts = {}


@dataclass
class _Fence:
    """A fence queued on a context (ScriptContext._fenced)."""

    # Engine calls numbered below it ran, microtasks included, before it.
    # None until it is queued on the isolate: then it follows every call so far.
    seq: int | None
    done: asyncio.Future  # True once it ran; False if the context went first
    collects: bool  # it also collects the heap's garbage


def _refusal(name: str, message: str) -> dict:
    return {"ok": False, "error": {"name": name, "message": message}}


_AWAIT = re.compile(r"\bawait\b")


def generator_of(source: str) -> str:
    """The generator a script body becomes: `async function*` when the source
    says `await` anywhere (in a comment or a string too: the safe side), else
    `function*`.

    The two run a body alike: a plain generator yields a Promise as it is, and
    its driver (triggers_app's __predixRun) awaits it and sends the value back,
    as an async generator's `yield` does. But a plain generator's body that
    yields no Promise runs to its end within the engine call that started it,
    one engine call instead of two (a Promise returned, then collected).
    """
    return "async function*" if _AWAIT.search(source) else "function*"


class ScriptContext:
    """A V8 isolate holding the prelude and one script's source.

    Not shared: one context serves exactly one (script, version). Each
    invocation has its own state in the prelude, keyed by an id, and its engine
    calls queue on the isolate, which runs them in order. A script blocked in a
    host call (R6) holds its isolate's thread, so the pool (pool.py) gives a
    context one invocation at a time, except short calls that never wait for
    the host, which it queues on one busy context.
    """

    def __init__(
        self, filename: str, config: dict | None = None, modules: tuple[str, ...] = ()
    ):
        if MiniRacer is None:
            raise EngineUnavailable(f"py_mini_racer is not importable: {_IMPORT_ERROR}")
        self.filename = filename
        # Columns the engine added at the start of line 1 (STRICT_DIRECTIVE).
        self._line1_shift = 0
        self.closed = False  # the isolate is gone
        self.retired = False  # evicted from the pool: close after the last call
        self.discarded = False  # unusable (stopped, broken): no new calls
        self.users = 0  # invocations under way
        self._next_id = 1
        # Engine calls are numbered as they are queued on the isolate, which runs
        # them in that order. A call stopped for time or memory leaves the script's
        # state half-updated: an invocation whose first call was queued after it
        # must not start on this context (ContextGone: the pool retries it).
        self._seq = 0
        # For _heap_full_of_garbage(): calls to skip before the next look.
        self._heap_backoff = 0
        # The latest fence (_fenced) and the handles of the constant engine
        # calls (_call_constant).
        self._fence: _Fence | None = None
        self._constants: dict[str, Any] = {}
        # Numbers of the engine calls (not fences) still waiting for an answer.
        self._unanswered: set[int] = set()
        # Handlers that returned a Promise (so far): their calls end in collect.
        self._settle_later: set[str | None] = set()
        self._stopped_at: int | None = None
        # Tasks awaiting an engine call on this context, for _kill().
        self._inflight: dict[asyncio.Task, int] = {}
        self._drained: asyncio.Event | None = None
        self._killed: set[asyncio.Task] = set()
        self._killing: asyncio.Task | None = None
        self._memory_limit = None
        # Made by load(), bound to the running event loop that will call it (R3).
        self._mr = None
        # Host calls (R6): the Host of each invocation under way, by id, and how
        # many calls each made; the channel and its notification (load()).
        self._hosts: dict[int, Host] = {}
        self._host_calls: dict[int, int] = {}
        self._channel: _Channel | None = None
        self._notification = None
        # How long its calls typically take (a moving average), for pool.py.
        self.typical_ms: float | None = None
        # The caps (DEFAULT_CAPS), and the token the prelude's entry points
        # (__sh.*) demand: only the host knows it, so a script cannot call them.
        self.caps = {**DEFAULT_CAPS, **(config or {})}
        self._token = secrets.token_hex(24)
        # Run by load(), as an awaited call: V8 parses it while the loop serves
        # other requests. It also keys the context's CSPRNG (crypto.*, UUIDs)
        # from the OS.
        self._modules = module_texts(tuple(modules))
        self._setup = prelude_with(tuple(modules)) + (
            f';__sh.setup("{self._token}", "{secrets.token_hex(32)}",'
            f" {json.dumps(json.dumps(self.caps))}, "
        )

    # -- lifecycle ---------------------------------------------------------------

    def close(self) -> None:
        """Close the isolate now; only for a context nobody is calling."""
        if not self.closed:
            self.closed = True
            self.discarded = True
            if self._channel is not None:
                self._channel.close()
            if self._notification is not None:
                self._notification.__exit__(None, None, None)
                self._notification = None
            # Handles free themselves into the isolate: before it goes.
            self._constants.clear()
            if self._fence is not None and not self._fence.done.done():
                self._fence.done.set_result(False)
            if self._mr is None:
                return
            keeper = getattr(self._mr, "keeper", None)
            if keeper is not None:
                keeper.let_go(self._mr._ctx, self._mr._ctx._python_to_value_handle("0"))
            if self._stopped_at is not None:
                # Stopped mid-call: V8 still answers the cut call while it
                # shuts down, and that answer must find this loop running.
                # (That answer, or the nudge's, lets the thread state go.)
                self._mr.close()
            else:
                # Freeing an isolate takes 0.4-1.5 ms (it joins V8's thread):
                # the closer does it in its own thread, once the isolate's
                # thread has let go of its thread state (_ThreadKeeper), and
                # the event loop goes on serving. Nothing touches this
                # MiniRacer any more.
                _CLOSER.free(self._mr, keeper)

    @property
    def usable(self) -> bool:
        return not (self.closed or self.discarded)

    @property
    def waited_for_host(self) -> bool:
        """Did a host call of this context ever wait for I/O (pool.py)?"""
        return self._channel is not None and self._channel.waits > 0

    def retire(self) -> None:
        """Close once the invocations under way have finished."""
        self.retired = True
        self._close_when_idle()

    def discard(self) -> None:
        """Take no more invocations and close once those under way finish (R8).

        Closing the isolate at once would leave their engine calls waiting
        forever: mini-racer never answers a call queued on a closed context.
        """
        self.discarded = True
        self._close_when_idle()

    def _close_when_idle(self) -> None:
        if self.users == 0:
            self.close()

    async def _kill(self) -> None:
        """Close now, whatever is running: the only way to stop a runaway loop.

        A loop in a promise reaction (after an await) runs outside any engine
        call, so cancelling a call cannot stop it; closing the isolate does.
        Every other engine call still queued is cancelled first (mini-racer
        must not be touched once closed) and its invocation gets ContextGone.
        """
        if self.closed:
            return
        self.discarded = True
        current = asyncio.current_task()
        others = [t for t in self._inflight if t is not current]
        if others:
            self._drained = asyncio.Event()
            for task in others:
                self._killed.add(task)
                task.cancel()
            # Their engine calls withdraw from mini-racer as the cancellation
            # unwinds them; only then may the context close.
            try:
                async with asyncio.timeout(1):
                    await self._drained.wait()
            except TimeoutError:
                log.error("Engine calls did not withdraw from a stopped context")
        self.close()

    def _heap_full_of_garbage(self) -> bool:
        """Is the heap past HEAP_COLLECT_SHARE of the memory limit?

        mini-racer holds garbage not yet collected against the hard limit, and
        V8 lets a warm context's old generation fill up with it before a full
        collection: a churning handler was stopped after a few hundred calls
        that each kept well under the limit (test_limits_memory_garbage.py).
        So the heap is collected as soon as it passes a share of the limit.
        mini-racer's soft limit, set to that share, says so: V8 updates the
        flag after each of its own collections, and reading it costs under a
        microsecond, where asking for the heap's size (heap_stats) blocks the
        event loop for 0.6 ms, and longer behind calls queued on the isolate.
        The collection itself runs in the fence after the call (_fenced).
        """
        if self._heap_backoff > 0:
            self._heap_backoff -= 1
            return False
        return bool(self._memory_limit) and self._mr.was_soft_memory_limit_reached()

    def _set_memory_limit(self, limit: int) -> None:
        if limit != self._memory_limit:
            self._mr.set_hard_memory_limit(limit)
            self._mr.set_soft_memory_limit(int(limit * HEAP_COLLECT_SHARE))
            self._memory_limit = limit

    # -- raw calls -----------------------------------------------------------------

    async def _eval(
        self,
        code: str,
        deadline: float,
        limits: Limits,
        *,
        first: bool = False,
        constant: bool = False,
    ) -> Any:
        """Evaluate code before the deadline; translate V8's failures.

        `first` marks an invocation's first call: it raises ContextGone if it ran
        after another call on this context was stopped. `constant` code is
        evaluated through a handle kept for it (_call_constant).
        """
        if self.closed:
            raise ContextGone(started=not first)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._timed_out(limits)
        self._seq += 1
        seq = self._seq
        task = self._call_begins()
        self._unanswered.add(seq)
        try:
            with within(remaining):
                if constant:
                    value = await self._call_constant(code)
                else:
                    value = await self._mr.eval_cancelable(code)
        except TimeoutError:
            self._stopped(seq)
            raise self._timed_out(limits) from None
        except asyncio.CancelledError:
            if task in self._killed:
                # Cancelled by _kill(), not by whoever awaits this invocation.
                self._killed.discard(task)
                if task.uncancel() == 0:
                    raise ContextGone(started=not first) from None
            self._stopped(seq)
            raise
        except JSOOMException:
            self._stopped(seq)
            raise self._memory_exceeded(limits) from None
        except JSParseException as exc:
            self._check_not_stale(seq, first)
            report = parse_v8_report(str(exc))
            raise CompileError(
                report.message, line=report.line, column=report.column
            ) from None
        except JSEvalException as exc:
            self._check_not_stale(seq, first)
            raise self._thrown(str(exc)) from None
        finally:
            self._unanswered.discard(seq)
            self._call_ends(task)
        self._check_not_stale(seq, first)
        return value

    def _call_begins(self) -> asyncio.Task:
        """Count an engine call of the running task as under way (for _kill)."""
        task = asyncio.current_task()
        self._inflight[task] = self._inflight.get(task, 0) + 1
        return task

    def _call_ends(self, task: asyncio.Task) -> None:
        left = self._inflight[task] - 1
        if left:
            self._inflight[task] = left
        else:
            del self._inflight[task]
        if self._drained is not None and not self._inflight:
            self._drained.set()

    def _stopped(self, seq: int) -> None:
        """Engine call `seq` was cut short: discard the context after it."""
        if self._stopped_at is None or seq < self._stopped_at:
            self._stopped_at = seq
        # No new invocations; closed by whoever handles the stop, once idle.
        self.discarded = True

    def _check_not_stale(self, seq: int, first: bool) -> None:
        if first and self._stopped_at is not None and seq > self._stopped_at:
            raise ContextGone(started=False)

    def _thrown(self, text: str) -> ScriptRuntimeError:
        """Translate V8's report of an uncaught throw outside the prelude's care."""
        report = parse_v8_report(text)
        stack = self._unshift(_clean_stack(report.stack))
        column = self._column(report.line, report.column)
        if not stack:
            # A thrown string or object: V8 reports only its string form.
            message = f"Uncaught {report.message}"
            if report.message == "[object Object]":
                message += " (throw an Error to get a message and a stack)"
            return ScriptRuntimeError(message, line=report.line, column=column)
        # The first frame in the script says where the error was made; V8's caret
        # only marks the start of the throwing statement.
        line, column = _frame_position(stack, self.filename)
        return ScriptRuntimeError(
            report.message,
            line=line or report.line,
            column=column if line else self._column(report.line, report.column),
            stack=stack,
        )

    def _timed_out(self, limits: Limits) -> ScriptTimeout:
        return ScriptTimeout(
            f"Script exceeded its time limit of {limits.seconds:g} s and was stopped"
        )

    def _reply(self, raw: Any) -> dict:
        try:
            reply = json.loads(raw)
        except (TypeError, ValueError):
            reply = None
        if not isinstance(reply, dict):
            raise ScriptRuntimeError("The script broke the engine's protocol")
        return reply

    def _memory_exceeded(self, limits: Limits) -> ScriptMemoryExceeded:
        """Discard this context (R8) and return the error that says why."""
        self.discard()
        return ScriptMemoryExceeded(
            f"Script exceeded its memory limit of "
            f"{limits.memory_bytes / (1024 * 1024):g} MB and was stopped"
        )

    async def _run(
        self,
        method: str,
        payload: dict,
        deadline: float,
        limits: Limits,
        host: Host | None = None,
    ) -> Outcome:
        """Start invocation payload["id"] with `method`; drive it to its end.

        Its host calls are served meanwhile through the channel (R6): one engine
        call for a handler that returns a value, two for one that returns a
        Promise (its reactions run right after the first). It is over once the
        microtasks it queued have run too (_fenced).
        """
        started = time.monotonic()
        inv = payload["id"]
        self._hosts[inv] = host if host is not None else NO_HOST
        self._host_calls[inv] = 0
        handler = payload.get("handler")
        if (
            not self._unanswered
            and (self._fence is None or self._fence.done.done())
            and handler not in self._settle_later
        ):
            # Nothing else queued here: queue the fence right behind this call,
            # so that it runs while the host reads the reply (_fenced uses it).
            # Not for a handler that returned a Promise before: its second
            # call (collect) comes after, and needs a fence of its own.
            self._post_fence(False)
        try:
            # _eval numbers its call before it first waits: this is its number.
            last = self._seq + 1
            code, constant = self._call_code(method, json.dumps(payload))
            reply = self._reply(
                await self._eval(code, deadline, limits, first=True, constant=constant)
            )
            if reply.get("state") == "pending":
                self._settle_later.add(handler)
                last = self._seq + 1
                code, constant = self._call_code("collect", str(inv))
                reply = self._reply(
                    await self._eval(code, deadline, limits, constant=constant)
                )
        finally:
            self._hosts.pop(inv, None)
            calls = self._host_calls.pop(inv, 0)
        logs, dropped = self._capped_logs(reply)
        if self.usable:
            # ArrayBuffers or the heap (garbage included) past part of their
            # budget: the fence collects, so that garbage never stops a later call.
            collect = bool(reply.get("gc")) or self._heap_full_of_garbage()
            await self._fenced(last, deadline, limits, logs, collect)
        outcome = Outcome(
            value=reply.get("value"),
            logs=logs,
            effects=reply.get("effects", []),
            registrations=reply.get("registrations"),
            registration_errors=reply.get("registrationErrors", []),
            dropped_logs=dropped,
        )
        ran = reply.get("ran")
        if method == "invoke" and isinstance(ran, (int, float)):  # ms in V8
            typical = self.typical_ms
            self.typical_ms = ran if typical is None else typical + (ran - typical) / 5
        if calls > MAX_HOST_CALLS:
            # Refused calls threw in the script, which may have caught them.
            outcome.error = ScriptRuntimeError(
                f"Script made more than {MAX_HOST_CALLS} host calls in one run"
            )
            outcome.value, outcome.effects = None, []
        elif "error" in reply:
            outcome.error = self._script_error(reply["error"], limits)
        outcome.duration_ms = (time.monotonic() - started) * 1000
        return outcome

    def _call_code(self, method: str, arg: str) -> tuple[str, bool]:
        """The code of the engine call __sh.<method>(token, arg), and whether
        it is constant: `arg` (ASCII JSON) goes through the inbox when a slot
        is free and it fits (_Channel.put), else into the code itself.
        """
        slot = self._channel.put(arg.encode("ascii")) if self._channel else None
        if slot is None:
            # collect takes a number; load and invoke a JSON string.
            literal = arg if method == "collect" else json.dumps(arg)
            return f'__sh.{method}("{self._token}", {literal})', False
        return f'__sh.{method}("{self._token}", {-1 - slot})', True

    def _capped_logs(self, reply: dict) -> tuple[list, int]:
        """The reply's logs within the caps, and how many were dropped.

        The prelude applies the same caps; these hold whatever a script did
        to the prelude's copy of them.
        """
        logs = reply.get("logs")
        if not isinstance(logs, list):
            logs = []
        dropped = reply.get("droppedLogs", 0)
        dropped = dropped if isinstance(dropped, int) and dropped > 0 else 0
        most, longest = self.caps["maxLogs"], self.caps["maxLogChars"]
        if len(logs) > most:
            dropped += len(logs) - most
            logs = logs[:most]
        kept = []
        for entry in logs:
            if not isinstance(entry, dict):
                dropped += 1
                continue
            message = entry.get("message")
            if not isinstance(message, str):
                entry["message"] = message = str(message)
            if len(message) > longest:
                entry["message"] = message[:longest] + "... [truncated]"
            if "fields" in entry and not _fields_fit(entry["fields"], longest):
                # Not the prelude's: a script that rewrote it; drop them, say so.
                del entry["fields"]
                entry["message"] += (
                    " [fields dropped: not a JSON object within the cap]"
                )
            kept.append(entry)
        return kept, dropped

    async def _fenced(
        self, after: int, deadline: float, limits: Limits, logs: list, collect: bool
    ) -> None:
        """Wait until the microtasks of engine call `after` have run (R7).

        V8 runs a call's microtasks (promise reactions) after the call has
        answered, outside it: a chain of reactions that never ends would keep
        the isolate busy with no time limit. A fence (__sh.fence) queued after
        the call runs only once they are done. One fence serves every call
        queued before it, so under load most invocations share one. Past the
        deadline the invocation fails with ScriptTimeout (carrying its logs)
        and the caller kills the context. With `collect`, the fence also
        collects the heap's garbage.
        """
        fence = self._fence
        if (
            fence is None
            or (fence.seq is not None and fence.seq <= after)
            or (collect and not fence.collects)
            or (fence.done.done() and not fence.done.result())
        ):
            fence = self._post_fence(collect)
        remaining = deadline - time.monotonic() + FENCE_GRACE_SECONDS
        while not fence.done.done():
            try:
                with within(max(remaining, 0.0)):
                    await asyncio.shield(fence.done)
            except TimeoutError:
                if any(seq < (fence.seq or 0) for seq in self._unanswered):
                    # Another invocation's call queued before the fence still
                    # runs (a slow host call): it is not this one's overrun,
                    # and that call's own time limit bounds the wait.
                    remaining = FENCE_GRACE_SECONDS
                    continue
                # Reactions still run: no later call may start here, and the
                # isolate closes at once (_kill) with this loop still running.
                self._stopped(after)
                error = self._timed_out(limits)
                error.logs = logs
                raise error from None
        drained = fence.done.result()
        if drained and fence.collects and self._mr.was_soft_memory_limit_reached():
            # Still past the share after a collection: live data, not garbage.
            self._heap_backoff = HEAP_COLLECT_BACKOFF_CALLS

    def _post_fence(self, collect: bool) -> _Fence:
        fence = _Fence(None, asyncio.get_running_loop().create_future(), collect)
        self._fence = fence
        code = f'__sh.fence("{self._token}"{", true" if collect else ""})'
        # Queued on the isolate (and numbered) when the task first runs, after
        # every call queued meanwhile. (_inflight holds the task while it runs,
        # the loop until then.)
        asyncio.ensure_future(self._run_fence(fence, code))
        return fence

    async def _run_fence(self, fence: _Fence, code: str) -> None:
        task = self._call_begins()
        drained = False
        try:
            if not self.closed:
                self._seq += 1
                fence.seq = self._seq
                await self._call_constant(code)
                drained = True
        except asyncio.CancelledError:
            self._killed.discard(task)  # by _kill(): the context is going away
        except Exception:  # noqa: BLE001 - a fence that failed proves nothing
            log.debug("A fence failed", exc_info=True)
        finally:
            self._call_ends(task)
            if not fence.done.done():
                fence.done.set_result(drained)

    async def _call_constant(self, code: str) -> Any:
        """Evaluate `code`, which never changes, through a handle made once.

        An engine call's code is a V8 string made from Python each time, and
        freed after; V8 then finds its compiled form in its cache. For code
        that never changes, the handle is kept (a private mini-racer API, as
        js_notification; tests/engine/test_channel.py pins it).
        """
        handle = self._constants.get(code)
        ctx = self._mr._ctx
        if handle is None:
            handle = self._constants[code] = ctx._python_to_value_handle(code)
        return await eval_handle(ctx, handle)

    def _count_host_call(self, inv: int, op: str) -> bool:
        """Count a host call of invocation `inv`; False once past MAX_HOST_CALLS."""
        calls = self._host_calls.get(inv, 0) + 1
        self._host_calls[inv] = calls
        return calls <= MAX_HOST_CALLS

    async def _open_channel(self, attach: Any, deadline: float, limits: Limits):
        """Hand the script its notifier; wire the buffer it returns to a _Channel.

        One round trip: __sh.attach takes the notifier and answers the
        sandbox's buffer. No host call can come before it returns.
        """
        self._notification = js_notification(
            self._mr, lambda handle: self._channel.notified(handle)
        )
        notify = self._notification.__enter__()
        remaining = deadline - time.monotonic()
        async with asyncio.timeout(max(remaining, 0.001)):
            buffer = await attach.cancelable()(self._token, notify)
        if not isinstance(buffer, memoryview) or len(buffer) != _Channel.SIZE:
            raise EngineUnavailable("The engine's host-call channel could not be made")
        self._channel = _Channel(
            buffer,
            self._hosts,
            self._count_host_call,
            # The request is [id, op, args]: room for the first two.
            self.caps["maxHostCallChars"] + 4096,
            self._modules,
        )

    def _column(self, line: int | None, column: int | None) -> int | None:
        """A column V8 reported, as a column of the uploaded source."""
        if line == 1 and column is not None and column > self._line1_shift:
            return column - self._line1_shift
        return column

    def _unshift(self, stack: str) -> str:
        """Give back the columns of line 1 the strict directive took in a stack."""
        if not self._line1_shift or not stack:
            return stack
        return re.sub(
            re.escape(self.filename) + r":1:(\d+)",
            lambda m: f"{self.filename}:1:{self._column(1, int(m.group(1)))}",
            stack,
        )

    def _script_error(self, err: dict, limits: Limits) -> EngineError:
        name, message = err.get("name") or "", err.get("message") or ""
        if name == "MemoryLimit":
            return self._memory_exceeded(limits)
        stack = self._unshift(_clean_stack(err.get("stack") or ""))
        line, column = _frame_position(stack, self.filename)
        error = ScriptRuntimeError(
            f"{name}: {message}" if name else message,
            line=line,
            column=column,
            stack=stack,
        )
        error.code = _ERROR_CODES.get(name, "runtime_error")
        return error

    async def _salvage(self, inv: int) -> dict:
        """Read what a stopped invocation left behind, then discard the context."""
        left: dict = {}
        if not self.closed:
            try:
                async with asyncio.timeout(0.5):
                    left = json.loads(
                        await self._mr.eval_cancelable(
                            f'__sh.abort("{self._token}", {inv})'
                        )
                    )
            except Exception:  # noqa: BLE001 - the context is going away regardless
                left = {}
        return left

    # -- the two entry points ---------------------------------------------------------

    async def load(
        self,
        source: str,
        context: dict,
        limits: Limits,
        strict: bool = False,
        body_function: str = "",
    ) -> Outcome:
        """Run the script's top level, then init(context); return registrations.

        With `strict`, the source runs in strict mode whatever it says; line
        and column numbers stay those of `source`. With `body_function`, the
        source is not run: it becomes the body of a global generator function
        `<body_function>` (so top-level `yield` and `return` are allowed, and
        `await` too: see generator_of), which handlers call; line numbers stay
        the same too.
        Raises CompileError when the source is not valid JavaScript.
        """
        started = time.monotonic()
        deadline = started + limits.seconds
        if self._mr is None:
            self._mr = await _new_isolate()
            if self.closed:  # closed while the isolate was being made
                self._mr.close()
                raise ContextGone(started=False)
        self._set_memory_limit(limits.memory_bytes)
        try:
            attach = await self._eval(
                f"{self._setup}{limits.memory_bytes});__sh.attach",
                deadline,
                limits,
            )
            await self._open_channel(attach, deadline, limits)
            await self._eval(f'__sh.declare("{self._token}")', deadline, limits)
            code = source
            if strict:
                # A directive is only one as the first statement; comments
                # before it (a Predix header) would not matter, but a BOM would.
                code = STRICT_DIRECTIVE + source.removeprefix("\ufeff")
            if body_function:
                # On line 1, so no line number moves; the closing brace goes
                # on a line of its own after the source (a // comment on its
                # last line must not swallow it).
                code = f"{generator_of(source)} {body_function}() {{{code}\n}}"
            self._line1_shift = len(code) - len(source) - (2 if body_function else 0)
            await self._eval(
                code + f"\n//# sourceURL={self.filename}", deadline, limits
            )
            outcome = await self._run(
                "load", {"id": 0, "context": context}, deadline, limits
            )
        except CompileError as exc:
            # An unterminated string, template or comment swallows the sourceURL
            # line appended above; V8 then points past the uploaded source.
            end = _end_of(source)
            if exc.line is None or exc.line > end[0]:
                exc.line, exc.column = end
            else:
                exc.column = self._column(exc.line, exc.column)
            raise
        except ScriptTimeout as exc:
            logs = getattr(exc, "logs", None)
            if logs is None:
                logs = (await self._salvage(0)).get("logs", [])
            await self._kill()
            return Outcome(
                error=exc,
                logs=logs,
                duration_ms=(time.monotonic() - started) * 1000,
            )
        except ScriptMemoryExceeded as exc:
            return Outcome(error=exc)
        except ScriptRuntimeError as exc:
            # A throw at top level; keep what it logged before that.
            left = await self._salvage(0)
            self.close()
            error = exc
            if left.get("memoryExceeded"):
                error = self._memory_exceeded(limits)
            return Outcome(error=error, logs=left.get("logs", []))
        outcome.duration_ms = (time.monotonic() - started) * 1000
        return outcome

    async def invoke(
        self, handler: str, context: dict, limits: Limits, host: Host | None = None
    ) -> Outcome:
        """Call handler(context) and return its value, logs and effects.

        Raises ContextGone if the context was discarded before the call started.
        """
        if not self.usable:
            raise ContextGone(started=False)
        started = time.monotonic()
        inv = self._next_id
        self._next_id += 1
        self.users += 1
        try:
            self._set_memory_limit(limits.memory_bytes)
            payload = {
                "id": inv,
                "handler": handler,
                "context": context,
                "memory": limits.memory_bytes,
            }
            try:
                outcome = await self._run(
                    "invoke", payload, started + limits.seconds, limits, host
                )
            except ScriptTimeout as exc:
                # Its logs, if it answered before its microtasks overran.
                logs = getattr(exc, "logs", None)
                if logs is None:
                    logs = (await self._salvage(inv)).get("logs", [])
                await self._kill()
                outcome = Outcome(error=exc, logs=logs)
            except asyncio.CancelledError:
                # Stopped half-way through the script's code: its state is unknown,
                # and a reaction it queued may still be running.
                if not self.closed:
                    self._killing = asyncio.ensure_future(self._kill())
                raise
            except ScriptMemoryExceeded as exc:
                await self._kill()
                outcome = Outcome(error=exc)
            except EngineError as exc:
                # The prelude itself failed: the script broke something it relies on.
                self.discard()
                outcome = Outcome(error=exc)
        finally:
            self.users -= 1
            if self.retired or self.discarded:
                self._close_when_idle()
        outcome.duration_ms = (time.monotonic() - started) * 1000
        return outcome


class ContextGone(Exception):
    """The context went away under this invocation.

    `started` says whether the invocation had got past its first engine call
    (and so may have made host calls) before that.
    """

    def __init__(self, started: bool):
        super().__init__("the script's context was discarded")
        self.started = started
