"""The host side of dispatcher.sendMessage / events.publish (dispatch.send)."""


def script_ops(invocation) -> dict:
    from streams_app.dispatch import next_listener, send

    async def dispatch_send(message_type, data_json, nesting=0):
        return await send(invocation, message_type, data_json, nesting)

    async def dispatch_next(token, succeeded):
        return await next_listener(invocation, token, succeeded)

    return {"dispatch.send": dispatch_send, "dispatch.next": dispatch_next}
