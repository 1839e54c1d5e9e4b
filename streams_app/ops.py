"""The host side of dispatcher.sendMessage / events.publish (dispatch.send),
the count sendStreamMessageFiltered answers with (stream.count), and of a
stream registered from a handler (stream.check, stream.list)."""

from asgiref.sync import sync_to_async


def script_ops(invocation) -> dict:
    from streams_app.dispatch import next_listener, send

    async def dispatch_send(message_type, data_json, nesting=0):
        return await send(invocation, message_type, data_json, nesting)

    async def dispatch_next(token, succeeded):
        return await next_listener(invocation, token, succeeded)

    def stream_count(path, event_filter):
        from streams_app.hub import matching_connections

        if not isinstance(path, str) or not isinstance(event_filter, dict):
            return 0
        return matching_connections(invocation.tenant.id, path, event_filter)

    async def stream_check(path, customizer=""):
        from streams_app.registry import check_later

        return await sync_to_async(check_later)(invocation, path, customizer)

    async def stream_list():
        from streams_app.registry import served_streams

        return await sync_to_async(served_streams)(invocation)

    return {
        "dispatch.send": dispatch_send,
        "dispatch.next": dispatch_next,
        "stream.count": stream_count,
        "stream.check": stream_check,
        "stream.list": stream_list,
    }
