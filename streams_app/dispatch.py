"""Deliver dispatcher messages to listeners (placeholder until the dispatcher lands)."""

from engine import HostError


async def send(invocation, message_type, data_json):
    raise HostError("the dispatcher is not available yet")
