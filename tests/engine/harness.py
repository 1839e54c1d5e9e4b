"""A script under test: one version of one script, invoked through a real Engine."""

from __future__ import annotations

from engine import Engine, Limits, Outcome, ScriptSource

CALL_LIMITS = Limits.of(2, 20)
LOAD_LIMITS = Limits.of(2, 20)


def make_context(request: dict | None = None, **extra) -> dict:
    """Build the R10 context a handler receives, with a GET / request by default."""
    base = {
        "method": "GET",
        "path": "/",
        "query": {},
        "form": {},
        "headers": {},
        "body": None,
        "params": {},
        "auth": {"isAuthenticated": False},
    }
    context = {
        "request": {**base, **(request or {})},
        "args": {},
        "kind": "http",
        "meta": {},
        "tenant": {"id": "acme", "name": "Acme"},
        "user": None,
        "script": {"id": "s", "name": "s", "type": "http"},
        "execution": {"id": "1", "triggeredBy": "http"},
    }
    context.update(extra)
    return context


class Script:
    """One uploaded script version, invoked through a shared Engine."""

    def __init__(self, engine: Engine, source: str, name: str, version: int):
        self.engine = engine
        self.source = source
        self.name = name
        self.version = version
        self.filename = f"{name}.js"
        self.loads = 0

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.version)

    async def load(self) -> ScriptSource:
        self.loads += 1
        return ScriptSource(self.source, self.filename, {"kind": "init"})

    async def call(
        self,
        handler: str = "h",
        request: dict | None = None,
        *,
        context: dict | None = None,
        limits: Limits = CALL_LIMITS,
    ) -> Outcome:
        if context is None:
            context = make_context(request)
        return await self.engine.invoke(self.key, handler, context, limits, self.load)

    async def value(self, handler: str = "h", request: dict | None = None):
        """Call the handler and return its value, failing on any error."""
        outcome = await self.call(handler, request)
        assert outcome.error is None, outcome.error.as_dict()
        return outcome.value

    async def analyze(self) -> Outcome:
        return await self.engine.analyze(
            ScriptSource(self.source, self.filename, {"kind": "init"})
        )
