"""The plugin contract: how a feature app plugs into the core (R14).

As with Django's pluggable backends there is one base class whose docstring
is the contract, with do-nothing defaults, and configuration chooses the
plugins: every installed app whose AppConfig inherits ScriptPlugin, in
INSTALLED_APPS order. The core asks `plugins()` and the helpers below; it
never probes an AppConfig with hasattr, and it names no feature app.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.apps import apps

from core.conf import derived


@dataclass(frozen=True, eq=False)
class Refused:
    """A registration an upload drops, and why (the warning its answer lists).

    `kind` is the registration kind ("streams"), `entry` the dict of
    registrations[kind] to drop (the same object, compared by identity),
    `reason` what the upload's answer says: "<what>: <why>", as in
    "route GET /x: script 'other' already serves it".
    """

    kind: str
    entry: dict
    reason: str


class ScriptPlugin:
    """What a feature app gives scripts; its AppConfig inherits this class.

        class StreamsConfig(ScriptPlugin, AppConfig):
            name = "streams_app"
            script_api_js = "script_api.js"
            script_host_calls = ("dispatch.send",)

            def script_ops(self, invocation):
                ...

    Override only what the app provides: every default provides nothing.
    Attributes are read once, methods when they are needed. An AppConfig
    module is imported before any model, so a method imports what it needs
    inside it. The start-up check (core.checks, scripthost.E010-E018) refuses
    a name two apps claim and a host call or effect no app claims.

    The JS API

    - `script_api_js`: the path, relative to the app, of a JS module
      `function (g, api) {...}` that defines the app's globals with
      `api.define(name, value)`, asks the host with `api.call(op, args)` (R6)
      and buffers writes with `api.effect(kind, data)` (R5). Every module is
      in every context, installed on first use of a global it defines.

    Host calls

    - `script_host_calls`: the op names the app answers; no two apps may
      claim one, and every `api.call` of a JS module must name a claimed one.
    - `script_ops(invocation)`: return {op name: function(*args)} for those
      names, bound to the invocation's tenant, script and user; a function
      returns its value, or an awaitable of it (an async function). The
      script waits for the answer (R6: host calls are synchronous), so an op
      that can answer at once (a cached read) should: it then costs no
      task. It is
      called when the invocation's first host call arrives (most handlers
      make none), so it must not depend on when it is called:
      `invocation.started` says when the attempt began. Raise
      engine.HostError for a failure the script may see.

    Effects

    - `script_effect_prefix`: the app's effect kinds all start with it
      ("storage."); no two apps' prefixes may overlap, and every `api.effect`
      of a JS module must have a claimed prefix.
    - `apply_script_effects(invocation, effects)`: apply the app's effects of
      a successful invocation, inside the one transaction all its effects
      share. Raise scripts_app.hosting.EffectConflict when what the
      invocation read has changed since (it is run again; name the contended
      keys in its `keys`, and after a few runs it runs holding a lock on
      them: scripts_app.contention), EffectRejected to
      refuse them (nothing of the invocation is applied). What must wait for
      the commit (publishing a message) goes in `invocation.after_commit`.

    Registrations (what a script's init() registered, stored per upload)

    `registrations` is {kind: [entry, ...]}, as the script's JS made them
    ("routes", "streams", "graphql"...). Only a compile error, or a top
    level or init() that throws or runs out of time, refuses an upload
    (issue 13): a registration the platform cannot take is dropped, the rest
    are stored, and the upload's answer lists the dropped ones as warnings.
    So the two checks below do not raise: they return Refused(kind, entry,
    reason) for each entry to drop, `entry` being the very dict of
    registrations[kind] (compared by identity), `reason` the warning
    ("stream /system/feed: the path is the platform's (reserved)"). The core
    drops each, then asks the next check, so a later check sees only what is
    left. Each is asked again inside the upload's transaction (another
    upload may have taken a path meanwhile), with the tenant's uploads
    serialised, so a path never gets two owners and the first keeps it.

    - `refused_script_paths(registrations)`: the entries the app refuses
      because their path is the platform's (scripts_app.routing.reserved).
    - `check_script_registrations(tenant, name, registrations)`: the entries
      that clash with the tenant's other scripts (another script already
      serves the path: it keeps it) or that cannot be served at all (a
      GraphQL SDL that does not parse). Raise
      scripts_app.services.ScriptRejected only for what must refuse the
      whole upload: the scheduler does for a cron expression or time zone
      that is not valid (issue 14: refused at upload, with the position).
    - `store_script_registrations(script, registrations)`: store what is
      left, inside the upload's transaction (replacing the script's previous
      set: a new upload starts from its own init()'s registrations).
    - `script_registration_counters`: {registration kind: ChangeCounter name}.
      A per-process directory (a tenants.resolve.CachedSnapshot) loaded from
      the stored registrations reloads when its counter moves; a save or
      delete of a script that has, or had, registrations of the kind bumps it.

    A registration an app accepts from a handler, outside init() (a stream,
    a listener, an asset route, as the reference implementation does), is
    the app's effect: its host call asks scripts_app.services.judge_later
    (these same checks, with the script's stored registrations and paths
    counted) for the call's answer, and its apply_script_effects stores what
    scripts_app.services.add_later accepts, writes its rows and bumps its
    counter. It lasts until the script's next upload. A kind that cannot be
    registered outside init() makes the call return "Error: ... can only be
    registered at top level or in init()".

    Routes of its own kinds

    - `script_route_kinds`: the kinds of route-table entries the app serves
      ("asset"): an entry of a kind names a resource instead of a handler.
    - `script_routes(registrations)`: the entries of those kinds the
      registrations declare, as {method, path, kind, resource}. They go into
      the tenant's route table with its handler routes; such an entry holds
      its whole path, so no other route of any method may share it. It must
      be a function of each entry alone: the core calls it with one entry
      at a time ({kind: [entry]}) to know which registration a route comes
      from, and drops that registration when the route cannot be had.
    - `serve_script_route(call, target)`: (async) answer a request matched to
      an entry of its kind (`target.kind`, `target.resource`): a
      scripts_app.http.HttpCall in, an HttpReply out, on the ASGI fast path
      and in Django's catch-all alike. Needed when it declares route kinds.

    Paths of its own

    - `script_reserved_paths`: path prefixes the app serves itself (mounted
      in config/urls.py, "/graphql"): no script may register a route, stream
      or asset route under them, and the ASGI fast path leaves them to Django.
    - `serves_path(tenant, method, path)`: (async) True when the app answers
      this request itself among the script routes (a stream's GET). Such a
      path beats a :param or /* script route, as an exact route does (the
      app's upload check keeps exact routes off it); the ASGI fast path
      leaves it to Django.
    - `serve_path(request, call)`: (async) in Django's catch-all, before the
      script routes: the app's response for a path it serves (an SSE
      stream), else None. `call` is the request as a scripts_app.http.HttpCall.

    Script bodies

    - `script_source_body(header)`: for a script whose header (the parsed
      JSDoc tags, scripts_app.header) marks it as the app's kind, the name of
      the generator function its source becomes the body of
      (`function* <name>() {...}`, `async function*` when it says `await`:
      engine.pool.ScriptSource.body_function, engine.context.generator_of), instead of
      running as a script; "" for any other script. The app's handlers call
      it (a Predix script body: triggers_app).

    The platform's GraphQL schema (/graphql)

    - `platform_graphql_query`, `platform_graphql_mutation`: dotted paths of
      graphene ObjectType classes whose fields join the platform schema's
      Query and Mutation (the document store's `entities`, ...); "" for none.
      Resolvers check access with graphql_app.access like the platform's own.

    Capabilities

    - `script_capabilities`: {name: label} of what an admin may grant a
      script beyond its own code and storage ("ReadAssets"). A script's
      context lists its grants (context.script.capabilities); the app's host
      calls and effects check them.

    Execution kinds and settings

    - `script_execution_kinds`: {kind: limit row} for every kind of
      invocation the app runs (scripts_app.invocations.run(kind, ...)): the
      row of SCRIPTS["LIMITS"] (R8: "pre-processing", "http", "cron") whose
      time and memory limits it gets.
    - `script_settings`: {SCRIPTS key: default} of the app's own knobs, read
      with core.conf.scripts_setting(key) like the platform's.

    The script's admin page

    - `script_admin_links(script)`: [(label, url), ...] of the app's admin
      pages about this script (its jobs, its triggers), each a changelist
      filtered to the script. The script's page lists them beside the core's
      own (versions, executions, logs, routes), so the core names no app.
      Called per page view: build URLs with django.urls.reverse, no queries.

    Work in the serving process

    - `serving_task()`: (async) what the app runs in every serving process
      for as long as it serves, in its event loop: started at ASGI lifespan
      startup, cancelled at shutdown (it may finish what it started before
      returning), before the queued records are written. The embedded
      stack's scheduler runs due jobs this way.
    """

    # -- the JS API ----------------------------------------------------------------
    script_api_js: str = ""

    # -- host calls ----------------------------------------------------------------
    script_host_calls: tuple[str, ...] = ()

    def script_ops(self, invocation) -> dict:
        return {}

    # -- effects -------------------------------------------------------------------
    script_effect_prefix: str = ""

    def apply_script_effects(self, invocation, effects: list[dict]) -> None:
        return None

    # -- registrations -------------------------------------------------------------
    def refused_script_paths(self, registrations: dict) -> list[Refused]:
        return []

    def check_script_registrations(
        self, tenant, name: str, registrations: dict
    ) -> list[Refused]:
        return []

    def store_script_registrations(self, script, registrations: dict) -> None:
        return None

    script_registration_counters: dict[str, str] = {}

    # -- routes of its own kinds ---------------------------------------------------
    script_route_kinds: tuple[str, ...] = ()

    def script_routes(self, registrations: dict) -> list[dict]:
        return []

    async def serve_script_route(self, call, target):
        raise NotImplementedError(f"{self.name} serves no route kind {target.kind}")

    # -- paths of its own -----------------------------------------------------------
    script_reserved_paths: tuple[str, ...] = ()

    async def serves_path(self, tenant, method: str, path: str) -> bool:
        return False

    async def serve_path(self, request, call):
        return None

    # -- the platform's GraphQL schema -----------------------------------------------
    platform_graphql_query: str = ""
    platform_graphql_mutation: str = ""

    # -- script bodies ---------------------------------------------------------------
    def script_source_body(self, header: dict) -> str:
        return ""

    # -- capabilities, execution kinds, settings -----------------------------------
    script_capabilities: dict[str, str] = {}
    script_execution_kinds: dict[str, str] = {}
    script_settings: dict = {}

    # -- the script's admin page ---------------------------------------------------
    def script_admin_links(self, script) -> list[tuple[str, str]]:
        return []

    # -- work in the serving process -----------------------------------------------
    async def serving_task(self) -> None:
        return None


@derived  # INSTALLED_APPS is fixed after start-up; tests may change it
def plugins() -> tuple[ScriptPlugin, ...]:
    """Every installed app's plugin, in INSTALLED_APPS order."""
    return tuple(a for a in apps.get_app_configs() if isinstance(a, ScriptPlugin))


@derived
def overriding(method: str) -> tuple[ScriptPlugin, ...]:
    """The plugins whose `method` is their own, not the do-nothing default."""
    default = getattr(ScriptPlugin, method)
    return tuple(
        p for p in plugins() if getattr(type(p), method, default) is not default
    )


@derived
def registration_counters() -> dict[str, str]:
    """{registration kind: the ChangeCounter of the directory it feeds}."""
    return {
        kind: counter
        for p in plugins()
        for kind, counter in p.script_registration_counters.items()
    }


@derived
def route_kinds() -> dict[str, ScriptPlugin]:
    """{route kind: the plugin that serves it}."""
    return {kind: p for p in plugins() for kind in p.script_route_kinds}


@derived
def capabilities() -> dict[str, str]:
    """{name: label} of every capability the plugins define, in their order."""
    return {n: label for p in plugins() for n, label in p.script_capabilities.items()}


@derived
def execution_kinds() -> dict[str, str]:
    """{execution kind: limit row} of every plugin."""
    return {k: row for p in plugins() for k, row in p.script_execution_kinds.items()}


@derived
def setting_defaults() -> dict:
    """{SCRIPTS key: default} of every plugin's own knobs."""
    return {k: v for p in plugins() for k, v in p.script_settings.items()}


def source_body(header: dict) -> str:
    """The body function a script with this header runs as, or "" (a plain script)."""
    for plugin in overriding("script_source_body"):
        name = plugin.script_source_body(header)
        if name:
            return name
    return ""


def admin_links(script) -> list[tuple[str, str]]:
    """Every plugin's (label, url) links about `script`, in INSTALLED_APPS order."""
    return [
        link
        for plugin in overriding("script_admin_links")
        for link in plugin.script_admin_links(script)
    ]


def api_module(plugin: ScriptPlugin) -> str:
    """The source of a plugin's JS API module."""
    return (Path(plugin.path) / plugin.script_api_js).read_text()


@derived
def api_modules() -> tuple[str, ...]:
    """The JS API modules of every plugin, in INSTALLED_APPS order."""
    return tuple(api_module(p) for p in plugins() if p.script_api_js)
