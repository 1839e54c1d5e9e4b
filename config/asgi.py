"""ASGI entry point: script routes first (fast path), then Django; GraphQL sockets."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_app = get_asgi_application()  # sets Django up before any model import

from channels.routing import ProtocolTypeRouter  # noqa: E402

from graphql_app.ws import websocket_application  # noqa: E402
from scripts_app.asgi import ScriptRouteApp, lifespan  # noqa: E402

script_routes = ScriptRouteApp(django_app)
application = ProtocolTypeRouter(
    {
        "http": script_routes,
        "websocket": websocket_application(),  # /graphql/ws (graphql_app.ws)
        "lifespan": lifespan,
    }
)

# What is loaded by now lives as long as the process. Freezing it keeps the
# cyclic garbage collector from walking it again and again under load: a full
# collection then only sees what requests allocated.
gc.collect()
gc.freeze()
