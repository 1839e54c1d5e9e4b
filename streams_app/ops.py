"""The host side of dispatcher.sendMessage / events.publish (dispatch.send),
and the count sendStreamMessageFiltered answers with (stream.count)."""


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

    return {
        "dispatch.send": dispatch_send,
        "dispatch.next": dispatch_next,
        "stream.count": stream_count,
    }
