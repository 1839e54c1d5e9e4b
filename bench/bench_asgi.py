"""The production ASGI application, served with bench.settings.

Only ROOT_URLCONF differs: it adds the reference views in front of
config.urls, so both sides of a comparison run in the same server.
"""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from config.asgi import application  # noqa: E402

__all__ = ["application"]
