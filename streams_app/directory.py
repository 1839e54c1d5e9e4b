"""Every tenant's streams, cached per process like the route table.

Reloaded when the "streams" ChangeCounter moves (a save or delete of a script
that has or had streams bumps it: scripts_app.signals), so a stream
registered, changed or dropped by an upload in any process is known here
within SCRIPT_ROUTE_REFRESH_SECONDS.
"""

from __future__ import annotations

from dataclasses import dataclass

from scripts_app.routing import RouteTarget
from tenants.resolve import CachedSnapshot


@dataclass(frozen=True)
class StreamTarget:
    """The script version a stream belongs to, and its customizer."""

    path: str
    script_id: int
    script_name: str
    version: int
    customizer: str = ""  # a handler of the script, or "" for query metadata
    capabilities: tuple[str, ...] = ()

    def customizer_target(self) -> RouteTarget:
        """The customizer as a RouteTarget (what scripts_app.invocations.run runs)."""
        return RouteTarget(
            self.script_id,
            self.script_name,
            self.version,
            self.customizer,
            self.path,
            capabilities=self.capabilities,
        )


class StreamDirectory(CachedSnapshot):
    """(tenant id, path) -> StreamTarget, for enabled scripts."""

    counter = "streams"

    def __init__(self):
        super().__init__()
        self.streams: dict[tuple[int, str], StreamTarget] = {}
        self.loads = 0  # moves on every load: the hub re-checks connections then

    def load(self):
        from streams_app.models import StreamRoute

        rows = StreamRoute.objects.filter(script__enabled=True).values_list(
            "tenant_id",
            "path",
            "script_id",
            "script__name",
            "script__version",
            "customizer",
            "script__capabilities",
        )
        self.streams = {
            (tenant_id, path): StreamTarget(
                path, script_id, name, version, customizer, tuple(capabilities or ())
            )
            for tenant_id, path, script_id, name, version, customizer, capabilities in rows
        }
        self.loads += 1

    def get(self, tenant_id: int, path: str) -> StreamTarget | None:
        return self.streams.get((tenant_id, path))

    async def find(self, tenant_id: int, path: str) -> StreamTarget | None:
        if self.stale():
            await self.refresh()
        return self.streams.get((tenant_id, path))


_streams = StreamDirectory()


def streams() -> StreamDirectory:
    return _streams
