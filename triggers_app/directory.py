"""Every tenant's triggers, cached per process like the route table.

Reloaded when the "triggers" ChangeCounter moves: a trigger saved or deleted
(triggers_app.signals), or a script with triggers saved or deleted (its
version, header or state is part of what is cached), in any process; known
here within SCRIPT_ROUTE_REFRESH_SECONDS. A store request then costs no query
to find its triggers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scripts_app.routing import RouteTarget
from tenants.resolve import CachedSnapshot

COUNTER = "triggers"


@dataclass(frozen=True)
class ScriptInfo:
    id: int
    name: str
    version: int
    header: dict = field(hash=False, compare=False, default_factory=dict)
    capabilities: tuple[str, ...] = ()


@dataclass(frozen=True)
class TriggerInfo:
    """What running a trigger needs, without the ORM."""

    id: int
    name: str
    on_reference_to: str
    methods: tuple[str, ...]
    parameters: dict = field(hash=False, compare=False, default_factory=dict)
    script: ScriptInfo = None

    @property
    def uri(self) -> str:
        return f"/system/triggers/{self.name}"

    @property
    def phase(self) -> str:
        return self.script.header.get("execution", "")

    @property
    def injects_current(self) -> bool:
        return "current" in self.script.header.get("inject", [])

    def target(self, handler: str) -> RouteTarget:
        return RouteTarget(
            self.script.id,
            self.script.name,
            self.script.version,
            handler,
            self.on_reference_to,
            capabilities=self.script.capabilities,
        )


class TriggerDirectory(CachedSnapshot):
    """(tenant id, onReferenceTo) -> enabled triggers of enabled scripts, in order."""

    counter = COUNTER

    def __init__(self):
        super().__init__()
        self.table: dict[tuple[int, str], list[TriggerInfo]] = {}

    def load(self):
        from triggers_app.models import Trigger

        rows = (
            Trigger.objects.filter(disabled=False, script__enabled=True)
            .select_related("script")
            .order_by("order", "name")
        )
        table: dict[tuple[int, str], list[TriggerInfo]] = {}
        for t in rows:
            s = t.script
            info = TriggerInfo(
                t.id,
                t.name,
                t.on_reference_to,
                tuple(t.methods),
                t.parameters or {},
                ScriptInfo(
                    s.id, s.name, s.version, s.header or {}, tuple(s.capabilities or ())
                ),
            )
            table.setdefault((t.tenant_id, t.on_reference_to), []).append(info)
        self.table = table

    async def find(self, tenant_id: int, on_reference_to: str, method: str):
        if self.stale():
            await self.refresh()
        return [
            t
            for t in self.table.get((tenant_id, on_reference_to), ())
            if method in t.methods
        ]


_triggers = TriggerDirectory()


def triggers() -> TriggerDirectory:
    return _triggers
