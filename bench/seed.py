"""Upload COUNT scripts with one route each (/r/<i>) into the default tenant.

Usage: python -m bench.seed COUNT  (with the server's environment)
"""

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from core.conf import scripts_setting  # noqa: E402
from scripts_app.services import save_script  # noqa: E402
from tenants.models import Tenant  # noqa: E402

SOURCE = """
function h(context) {{ return ResponseBuilder.text("route {i}"); }}
function init(context) {{ routeRegistry.registerRoute("/r/{i}", "h", "GET"); }}
"""


def main(count: int) -> None:
    tenant = Tenant.objects.get(slug=scripts_setting("DEFAULT_TENANT"))
    started = time.perf_counter()
    for i in range(count):
        save_script(tenant, f"r{i}", SOURCE.format(i=i))
    print(f"seeded {count} scripts in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]))
