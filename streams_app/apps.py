"""Server-Sent Event streams and the script-to-script dispatcher."""

from django.apps import AppConfig

from core.plugins import ScriptPlugin


class StreamsConfig(ScriptPlugin, AppConfig):
    name = "streams_app"
    verbose_name = "Streams and messages"

    # The dispatcher and events modules and routeRegistry's stream calls, the
    # host side of dispatcher.sendMessage, of sendStreamMessageFiltered's
    # count and of streams registered from handlers, and stream sends (and
    # registrations from handlers) applied after success.
    script_api_js = "script_api.js"
    script_host_calls = (
        "dispatch.send",
        "dispatch.next",
        "stream.count",
        "stream.check",
        "stream.list",
    )
    script_effect_prefix = "stream."
    # Listeners, and stream customizers ("stream").
    script_execution_kinds = {"listener": "http", "stream": "http"}
    # streams_app.directory, streams_app.dispatch.ListenerDirectory
    script_registration_counters = {"streams": "streams", "listeners": "listeners"}
    script_settings = {
        "STREAM_REPLAY_MESSAGES": 100,
        "DISPATCH_MAX_MESSAGE_BYTES": 1024 * 1024,
    }

    def script_ops(self, invocation):
        from streams_app.ops import script_ops

        return script_ops(invocation)

    def apply_script_effects(self, invocation, effects):
        from streams_app.effects import apply

        apply(invocation, effects)

    # Streams: GET (and HEAD) on a stream's path is its SSE response.
    async def serves_path(self, tenant, method, path):
        if method not in ("GET", "HEAD"):
            return False
        from streams_app.directory import streams

        return await streams().find(tenant.id, path) is not None

    async def serve_path(self, request, call):
        from streams_app.serving import serve_stream

        return await serve_stream(request, call)

    # The registrations this app keeps: streams and listeners.
    def refused_script_paths(self, registrations):
        from streams_app.registry import refused_paths

        return refused_paths(registrations)

    def check_script_registrations(self, tenant, name, registrations):
        from streams_app.registry import check

        return check(tenant, name, registrations)

    def store_script_registrations(self, script, registrations):
        from streams_app.registry import store

        store(script, registrations)

    def script_admin_links(self, script):
        from scripts_app.script_links import filtered_changelist

        return [
            filtered_changelist("Streams", "streams_app.StreamRoute", script),
            filtered_changelist("Listeners", "streams_app.Listener", script),
        ]
