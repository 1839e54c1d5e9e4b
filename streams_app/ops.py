"""The host side of dispatcher.sendMessage / events.publish (dispatch.send)."""


def script_ops(invocation) -> dict:
    from streams_app.dispatch import send

    async def dispatch_send(message_type, data_json):
        return await send(invocation, message_type, data_json)

    return {"dispatch.send": dispatch_send}
