"""Apply the stream sends of a successful invocation (R5), and its listeners.

Listeners and streams registered from a handler (dispatcher.registerListener
and routeRegistry.registerStreamRoute outside init()) are stored by
streams_app.registry.register_later and streams_later.

Runs in a sync thread inside the invocation's transaction (on SQLite maybe a
savepoint in a batch of several invocations). Each message becomes a
StreamMessage row, whose id is its SSE event id, and the stream is trimmed to
its last SCRIPT_STREAM_REPLAY_MESSAGES rows. Publishing to the channel layer
waits for the commit (Invocation.after_commit), so nothing of a failed or
rolled-back invocation ever reaches a client.
"""

from __future__ import annotations

from core.conf import scripts_setting
from scripts_app.hosting import EffectRejected
from streams_app.models import StreamMessage, StreamRoute


def apply(invocation, effects: list[dict]) -> None:
    later = [e.get("data") or {} for e in effects if e.get("kind") == "stream.listener"]
    if later:
        from streams_app.registry import register_later

        register_later(invocation, later)
    later = [e.get("data") or {} for e in effects if e.get("kind") == "stream.register"]
    if later:
        from streams_app.registry import streams_later

        streams_later(invocation, later)
    sends = [e.get("data") or {} for e in effects if e.get("kind") == "stream.send"]
    if not sends:
        return
    tenant = invocation.tenant
    limit = scripts_setting("STREAM_MAX_MESSAGE_BYTES")
    for send in sends:
        size = len(str(send.get("data", "")).encode("utf-8"))
        if size > limit:
            raise EffectRejected(
                f"A message for stream {send.get('path')} is {size} bytes; the limit "
                f"is {limit} bytes (SCRIPT_STREAM_MAX_MESSAGE_BYTES). Nothing was "
                "sent or written."
            )
    paths = sorted({str(send.get("path")) for send in sends})
    # Locked in path order: sends to one stream commit one after the other, so
    # its event ids grow in commit order (PostgreSQL; SQLite locks it all).
    known = set(
        StreamRoute.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, path__in=paths, script__enabled=True)
        .order_by("path")
        .values_list("path", flat=True)
    )
    rows, dropped = [], []
    for send in sends:
        path = str(send.get("path"))
        if path not in known:
            dropped.append(path)
            continue
        rows.append(
            StreamMessage(
                tenant=tenant,
                path=path,
                data=str(send.get("data", "")),
                filter=_clean_filter(send.get("filter")),
                script_name=invocation.script_name,
            )
        )
    if rows:
        created = StreamMessage.objects.bulk_create(rows)
        for row in created:
            if row.pk is None:  # a database that returns no ids from bulk inserts
                row.save()
        by_path: dict[str, list] = {}
        for row in created:
            by_path.setdefault(row.path, []).append([row.pk, row.data, row.filter])
        for path in by_path:
            trim(tenant.id, path)
        invocation.after_commit.append(_publisher(tenant.id, by_path))
    if dropped:
        invocation.after_commit.append(_dropped_warning(invocation, dropped))


def trim(tenant_id: int, path: str) -> int:
    """Keep only the last STREAM_REPLAY_MESSAGES messages of a stream."""
    keep = max(0, scripts_setting("STREAM_REPLAY_MESSAGES"))
    stream = StreamMessage.objects.filter(tenant_id=tenant_id, path=path)
    cutoff = list(stream.order_by("-id").values_list("id", flat=True)[keep : keep + 1])
    if not cutoff:
        return 0
    deleted, _ = stream.filter(id__lte=cutoff[0]).delete()
    return deleted


def _clean_filter(value) -> dict:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _publisher(tenant_id: int, by_path: dict):
    async def publish_all():
        from core.hub import publish

        for path, messages in by_path.items():
            await publish(tenant_id, path, messages)

    return publish_all


def _dropped_warning(invocation, paths: list[str]):
    """A WARN entry in the script's logs, once the invocation has succeeded."""

    async def warn():
        from scripts_app.records import log_for

        log_for(
            invocation,
            "WARN",
            *(
                f"Stream message dropped: {path} is not a stream of "
                "this tenant (register it with routeRegistry.registerStreamRoute)"
                for path in dict.fromkeys(paths)
            ),
        )

    return warn
