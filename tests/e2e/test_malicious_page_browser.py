"""A tenant's malicious page, opened by a signed-in superuser, changes nothing.

Mallory develops scripts in a tenant of her own. Her script serves pages on
the platform's one host that try everything a page of the console's origin
could: read the session and CSRF cookies, fetch a console form for its CSRF
token, write to /system/scripts, /system/admin/ and /graphql with the
admin's session, submit a form to the admin's change page, and plant a
session cookie. Her pages live under /admin/, where the admin was before it
moved to /system/admin/ and which scripts own now. The admin signs in
through the login form in headless Chromium and opens each page. The
installation's database, read through the ORM (`manage.py shell`), is then
exactly as before, and the admin is still signed in with the same session.
"""

import json

import pytest

from tests.e2e.conftest import launch
from tests.e2e.servers import ADMIN_PASSWORD, poll, put_script
from tests.e2e.test_asset_route_browser import chromium  # noqa: F401 - a fixture

pytestmark = pytest.mark.server

MALLORY = """
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from tenants.models import Membership, Role, Tenant
tenant, _ = Tenant.objects.get_or_create(slug="mallory", defaults={"name": "Mallory"})
tenant.domains = ["localhost"]  # her own domain, used when the console has its own
tenant.save()
user, _ = get_user_model().objects.get_or_create(username="mallory")
Membership.objects.get_or_create(
    user=user, tenant=tenant, defaults={"role": Role.DEVELOPER}
)
token, _ = Token.objects.get_or_create(user=user)
print(json.dumps({"id": user.pk, "token": token.key}))
"""

# What the attack could change: every script, user, token and session.
STATE = """
import json
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from rest_framework.authtoken.models import Token
from scripts_app.models import Script
print(json.dumps({
    "scripts": sorted(
        [s.tenant.slug, s.name, s.version, s.enabled, s.source]
        for s in Script.objects.select_related("tenant")
    ),
    "users": sorted(
        [u.username, u.is_active, u.is_staff, u.is_superuser, u.password]
        for u in get_user_model().objects.all()
    ),
    "tokens": sorted(t.user.username for t in Token.objects.select_related("user")),
    "sessions": sorted(s.session_key for s in Session.objects.all()),
}))
"""

VICTIM = """
function victim() { return "the admin's own script"; }
routeRegistry.registerRoute("/victim", "victim", "GET");
"""

# The attacks. USER_ID is Mallory's user id; the change form makes her a
# superuser. Each page reports what it managed in window.report.
EVIL = r"""
const USER_ID = %(user_id)d;
const CONSOLE = "%(console)s";  // "" on one host; else the console's own URL
const GRANT =
  "username=mallory&first_name=&last_name=&email=&is_active=on&is_staff=on" +
  "&is_superuser=on&date_joined_0=2026-01-01&date_joined_1=00:00:00" +
  "&initial-date_joined_0=2026-01-01&initial-date_joined_1=00:00:00";
const PLANTED =
  'function p() { return "planted"; }\nrouteRegistry.registerRoute("/planted", "p");';

const STEAL = `<!doctype html><title>cat pictures</title><script>
const CONSOLE = ${JSON.stringify(CONSOLE)};
const report = {};
try { report.cookie = document.cookie; } catch (e) { report.cookie = "blocked: " + e.name; }
async function attempt(name, url, init) {
  try {
    const r = await fetch(url, { credentials: "include", ...init });
    report[name] = r.status;
  } catch (e) {
    report[name] = "failed: " + e.message;
  }
}
(async () => {
  let csrf = (/csrftoken=([^;]+)/.exec(report.cookie) || [])[1] || "";
  try {
    const r = await fetch(CONSOLE + "/system/admin/auth/user/add/", { credentials: "include" });
    const m = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(await r.text());
    report.formToken = m ? "read" : "absent";
    csrf = csrf || (m ? m[1] : "");
  } catch (e) {
    report.formToken = "failed: " + e.message;
  }
  const js = { "X-CSRFToken": csrf, "Content-Type": "application/javascript" };
  await attempt("replaceScript", CONSOLE + "/system/scripts/victim",
    { method: "PUT", headers: js, body: ${JSON.stringify(PLANTED)} });
  await attempt("deleteScript", CONSOLE + "/system/scripts/victim",
    { method: "DELETE", headers: js });
  await attempt("plantScript", CONSOLE + "/t/mallory/system/scripts/planted",
    { method: "PUT", headers: js, body: ${JSON.stringify(PLANTED)} });
  await attempt("grantSuperuser", CONSOLE + "/system/admin/auth/user/${USER_ID}/change/", {
    method: "POST",
    headers: { "X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded" },
    body: ${JSON.stringify(GRANT)} + "&csrfmiddlewaretoken=" + csrf,
  });
  await attempt("graphql", CONSOLE + "/graphql", {
    method: "POST",
    headers: { "X-CSRFToken": csrf, "Content-Type": "application/json" },
    body: JSON.stringify({ query: 'mutation { deleteScript(uri: "victim") { success } }' }),
  });
  report.csrf = csrf ? "known" : "unknown";
  window.report = report;
})();
</script>`;

const FORM = `<!doctype html><title>click me</title>
<form id="f" method="post" action="${CONSOLE}/system/admin/auth/user/${USER_ID}/change/">
${GRANT.split("&").map((pair) => {
  const [k, v] = pair.split("=");
  return '<input type="hidden" name="' + k + '" value="' + decodeURIComponent(v) + '">';
}).join("")}
<input type="hidden" name="csrfmiddlewaretoken" id="t" value="">
</form><script>
try { document.getElementById("t").value =
  (/csrftoken=([^;]+)/.exec(document.cookie) || [])[1] || ""; } catch (e) {}
document.getElementById("f").submit();
</script>`;

function steal(c) { return ResponseBuilder.html(STEAL); }
function form(c) { return ResponseBuilder.html(FORM); }
function plant(c) {
  return {
    status: 200,
    contentType: "text/html",
    body: "<!doctype html><p>welcome</p>",
    headers: { "Set-Cookie": "sessionid=mallorys-session; Path=/; HttpOnly" },
  };
}
routeRegistry.registerRoute("/admin/steal", "steal", "GET");
routeRegistry.registerRoute("/admin/form", "form", "GET");
routeRegistry.registerRoute("/admin/plant", "plant", "GET");
"""


def shell(installation, code: str):
    """Run `code` in manage.py shell on the installation; its last line, as JSON."""
    return json.loads(installation.manage("shell", "-c", code).splitlines()[-1])


def state(installation) -> dict:
    return shell(installation, STATE)


def upload_as_mallory(server, token: str, source: str):
    with server.client() as client:
        return client.put(
            "/t/mallory/system/scripts/evil",
            content=source.encode(),
            headers={
                "Authorization": f"Token {token}",
                "Content-Type": "application/javascript",
            },
        )


def session_cookie(context) -> str | None:
    return next(
        (c["value"] for c in context.cookies() if c["name"] == "sessionid"), None
    )


@pytest.fixture(params=["one-host", "console-host"])
def mode(request, installation):
    """(server, the console's URL, Mallory's pages' URL) of each way to run.

    One host: the default, with script pages sandboxed. Console host: the
    console on 127.0.0.1, Mallory's tenant on its own domain (localhost), and
    no sandbox at all, so the host split is shown to hold by itself.
    """
    if request.param == "one-host":
        server = request.getfixturevalue("server")
        yield server, "", f"{server.url}/t/mallory"
        return
    with launch(
        installation,
        SCRIPTHOST_CONSOLE_HOSTS="127.0.0.1",
        SCRIPT_CONTENT_SECURITY_POLICY="none",
    ) as server:
        yield server, server.url, f"http://localhost:{server.port}"


def test_a_malicious_script_page_changes_nothing_for_a_signed_in_superuser(
    mode,
    installation,
    chromium,  # noqa: F811 - the fixture imported above
):
    server, console, pages = mode
    mallory = shell(installation, MALLORY)
    assert put_script(server, "victim", VICTIM).status_code in (200, 201)
    source = EVIL % {"user_id": mallory["id"], "console": console}
    # The server learns of Mallory's new tenant within its refresh interval.
    uploaded, _ = poll(
        lambda: upload_as_mallory(server, mallory["token"], source),
        lambda r: r.status_code != 404,
        within=5.0,
    )
    assert uploaded.status_code in (200, 201), uploaded.text

    context = chromium.new_context()
    page = context.new_page()
    try:
        page.goto(f"{server.url}/system/admin/login/?next=/system/admin/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", ADMIN_PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(f"{server.url}/system/admin/")
        signed_in = session_cookie(context)
        before = state(installation)

        page.goto(f"{pages}/admin/steal")
        page.wait_for_function("() => window.report !== undefined", timeout=15_000)
        report = page.evaluate("() => window.report")
        page.goto(f"{pages}/admin/form")
        page.wait_for_url("**/system/admin/auth/user/**", timeout=15_000)
        planted = page.goto(f"{pages}/admin/plant")

        after = state(installation)
        still_signed_in = session_cookie(context)
        page.goto(f"{server.url}/system/admin/")
        admin_page = page.url
    finally:
        context.close()

    assert signed_in and signed_in in before["sessions"]
    assert after == before, (before, after)
    assert still_signed_in == signed_in
    assert admin_page == f"{server.url}/system/admin/"  # not sent to the login page
    assert "csrftoken" not in report["cookie"] and "sessionid" not in report["cookie"]
    if not console:
        assert report["cookie"].startswith("blocked"), report  # sandboxed
    assert report["formToken"] != "read" and report["csrf"] == "unknown", report
    for attempt in ("replaceScript", "deleteScript", "plantScript", "graphql"):
        assert not (isinstance(report[attempt], int) and report[attempt] < 400), report
    assert planted.status == 500
