"""Match a request path to a script route: exact > :param > trailing /* .

Paths match literally, so `/hello` and `/hello/` are different routes and
neither redirects to the other. Between two `:param` patterns the one with a
literal segment earlier wins (`/users/me/:tab` beats `/users/:id/:tab`).
`/files/*` answers `/files`, `/files/` and everything below (`params["*"]`
is the rest, "" for the first two). A path that no route matches at all
falls back to the longest literal handler route it lies under: `/assets`
answers `/assets/logo.png` (`params["*"]` is "logo.png"), as the aiwebengine
seed's asset-CRUD example expects; a path ending in "/" never falls back, so
`/hello` and `/hello/` stay different routes. When the best path match has no
handler for the method, the next match that has one serves it; when none
has, the answer is 405 with every method the matching routes accept (HEAD
wherever GET is, since GET handlers answer HEAD). A route of an app's own kind
(an asset route: core.plugins.ScriptPlugin.script_route_kinds) names a
resource instead of a handler, and the app serves it; uploads refuse any other
route at its path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.conf import derived
from core.plugins import plugins
from tenants.resolve import CachedSnapshot

# Paths the platform serves itself; scripts may not register under them. The
# apps add theirs (core.plugins.ScriptPlugin.script_reserved_paths). Kept short:
# /api/..., /admin/... and / belong to scripts (the seeds' examples register
# /api/users, /api/custom/sales-report and POST /admin/broadcast); the REST API
# is under /system/api/ and the admin under /system/admin/.
RESERVED_PREFIXES = (
    "/system",
    "/health",
    "/metrics",
    "/custom",
    "/static",
    "/t/",
)


@derived
def reserved_prefixes() -> tuple[str, ...]:
    """The platform's reserved path prefixes, then the apps'."""
    apps = (p for plugin in plugins() for p in plugin.script_reserved_paths)
    return tuple(dict.fromkeys((*RESERVED_PREFIXES, *apps)))


@derived
def _reserved() -> tuple[frozenset, tuple[str, ...]]:
    prefixes = reserved_prefixes()
    return frozenset(prefixes), tuple(p.rstrip("/") + "/" for p in prefixes)


def reserved(path: str) -> bool:
    exact, under = _reserved()
    return path in exact or path.startswith(under)


@dataclass(frozen=True)
class RouteTarget:
    """The script version and handler a route leads to."""

    script_id: int
    script_name: str
    version: int
    handler: str
    pattern: str
    kind: str = ""  # an app's route kind ("asset"); "" for a handler route
    resource: str = ""  # what a route of a kind serves; handler is then ""
    capabilities: tuple[str, ...] = ()

    @property
    def filename(self) -> str:
        """The name V8 reports in stacks, as in Script.filename."""
        name = self.script_name
        return name if name.endswith(".js") else f"{name}.js"


@dataclass
class Match:
    target: RouteTarget
    params: dict


@dataclass
class NoMatch:
    allowed: list[str] = field(default_factory=list)  # non-empty: 405, else 404


class _Pattern:
    def __init__(self, path: str):
        self.path = path
        self.wildcard = path.endswith("/*")
        segments = path.split("/")[1:]
        if self.wildcard:
            segments = segments[:-1]
        self.segments = segments
        # Sort key: literal segments before params, longer before shorter.
        self.rank = tuple(0 if s.startswith(":") else 1 for s in segments)
        self.methods: dict[str, RouteTarget] = {}

    def match(self, parts: list[str]) -> dict | None:
        n = len(self.segments)
        if self.wildcard:
            # The rest may be empty: "/files/*" answers "/files" and "/files/".
            if len(parts) < n:
                return None
        elif len(parts) != n:
            return None
        params = {}
        for seg, part in zip(self.segments, parts, strict=False):
            if seg.startswith(":"):
                if part == "":
                    return None
                params[seg[1:]] = part
            elif seg != part:
                return None
        if self.wildcard:
            params["*"] = "/".join(parts[n:])
        return params


class RouteTable:
    """The routes of one tenant."""

    def __init__(self):
        self.exact: dict[str, dict[str, RouteTarget]] = {}
        self._patterns: dict[str, _Pattern] = {}
        self.param: list[_Pattern] = []
        self.wild: list[_Pattern] = []

    def add(self, method: str, target: RouteTarget) -> None:
        path = target.pattern
        if ":" not in path and not path.endswith("/*"):
            self.exact.setdefault(path, {})[method] = target
            return
        pattern = self._patterns.get(path)
        if pattern is None:
            pattern = self._patterns[path] = _Pattern(path)
            (self.wild if pattern.wildcard else self.param).append(pattern)
        pattern.methods[method] = target

    def finish(self) -> RouteTable:
        self.param.sort(key=lambda p: p.rank, reverse=True)
        self.wild.sort(key=lambda p: (len(p.segments), p.rank), reverse=True)
        return self

    def match(self, method: str, path: str) -> Match | NoMatch:
        allowed: set[str] = set()
        lookups = (method, "GET") if method == "HEAD" else (method,)
        methods = self.exact.get(path)
        if methods:
            for m in lookups:
                if m in methods:
                    return Match(methods[m], {})
            allowed.update(methods)
        parts = path.split("/")[1:]
        for pattern in (*self.param, *self.wild):
            params = pattern.match(parts)
            if params is None:
                continue
            for m in lookups:
                if m in pattern.methods:
                    return Match(pattern.methods[m], params)
            allowed.update(pattern.methods)
        if not allowed:
            found = self._under_literal(lookups, parts, allowed)
            if found is not None:
                return found
        if "GET" in allowed:
            allowed.add("HEAD")
        return NoMatch(sorted(allowed))

    def _under_literal(self, lookups, parts, allowed) -> Match | None:
        """The longest literal handler route above the path (not ending in "/").

        Only when nothing else matched: a literal route then answers the
        paths below it, as a prefix route (`params["*"]` is the rest). Routes
        of an app's kind (an asset route) name one resource and never do.
        """
        if len(parts) < 2 or parts[-1] == "":
            return None
        for cut in range(len(parts) - 1, 0, -1):
            methods = self.exact.get("/" + "/".join(parts[:cut]))
            if not methods:
                continue
            handlers = {m: t for m, t in methods.items() if not t.kind}
            if not handlers:
                continue
            for m in lookups:
                if m in handlers:
                    return Match(handlers[m], {"*": "/".join(parts[cut:])})
            allowed.update(handlers)
            return None
        return None


class RouteDirectory(CachedSnapshot):
    """Every tenant's route table, reloaded when the 'routes' counter moves.

    Routes and apps' route kinds (asset routes) bump it (scripts_app.signals).
    """

    counter = "routes"

    def __init__(self):
        super().__init__()
        self.tables: dict[int, RouteTable] = {}

    def load(self):
        from scripts_app.models import Route

        tables: dict[int, RouteTable] = {}
        rows = Route.objects.filter(script__enabled=True).values_list(
            "tenant_id",
            "method",
            "path",
            "handler",
            "script_id",
            "script__name",
            "script__version",
            "kind",
            "resource",
            "script__capabilities",
        )
        for row in rows:
            tenant_id, method, path, handler, script_id, name, version = row[:7]
            kind, resource, capabilities = row[7], row[8], tuple(row[9] or ())
            table = tables.get(tenant_id) or tables.setdefault(tenant_id, RouteTable())
            table.add(
                method,
                RouteTarget(
                    script_id,
                    name,
                    version,
                    handler,
                    path,
                    kind,
                    resource,
                    capabilities,
                ),
            )
        self.tables = {k: t.finish() for k, t in tables.items()}

    def table(self, tenant_id: int) -> RouteTable:
        return self.tables.get(tenant_id) or RouteTable()


_routes = RouteDirectory()


def routes() -> RouteDirectory:
    return _routes
