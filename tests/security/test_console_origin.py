"""A script's page cannot act with an admin's session (issue 12, hole 1).

Every request goes through the ASGI application (the fast path, then
Django), as a server would serve it. The console is the admin
(/system/admin), /system, /system/api and /graphql; script routes are
tenants' code, /admin/... included since the admin moved under /system.
"""

import httpx
import pytest
from asgiref.sync import sync_to_async

pytestmark = pytest.mark.django_db(transaction=True)

SOURCE = """
function page(c) {
  return ResponseBuilder.html("<!doctype html><p>hello</p>");
}
function cookie(c) {
  return { status: 200, body: "set", headers: { "Set-Cookie": c.request.query.v } };
}
function clear(c) {
  return { status: 200, body: "gone", headers: { "Clear-Site-Data": '"cookies"' } };
}
function ownPolicy(c) {
  return {
    status: 200,
    body: "<p>mine</p>",
    contentType: "text/html",
    headers: { "Content-Security-Policy": "default-src *" },
  };
}
function cookies(c) {
  return { status: 200, body: c.request.headers.cookie || "" };
}
function framed(c) {
  return { status: 200, body: "x", headers: { "X-Frame-Options": "SAMEORIGIN" } };
}
routeRegistry.registerRoute("/framed", "framed", "GET");
routeRegistry.registerRoute("/page", "page", "GET");
routeRegistry.registerRoute("/cookie", "cookie", "GET");
routeRegistry.registerRoute("/clear", "clear", "GET");
routeRegistry.registerRoute("/own-policy", "ownPolicy", "GET");
routeRegistry.registerRoute("/admin/cookie", "cookie", "GET");
routeRegistry.registerRoute("/admin/page", "page", "GET");
routeRegistry.registerRoute("/admin/cookies", "cookies", "GET");
"""
CSRF = "k" * 32  # a well-formed CSRF secret, sent as cookie and header alike
NEW_SCRIPT = (
    b'function h() { return "pwned"; }\nrouteRegistry.registerRoute("/p", "h");'
)


async def request(method, path, host="acme.test", headers=None, body=b""):
    from config.asgi import application

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url=f"http://{host}"
    ) as client:
        return await client.request(method, path, headers=headers or {}, content=body)


@pytest.fixture
def scripts(upload):
    response = upload("pages", SOURCE)
    assert response.status_code == 201, response.content


@pytest.fixture
def session(cast):
    """The Cookie header of a signed-in superuser (root) with a CSRF token."""
    from django.test import Client

    client = Client()
    client.force_login(cast["root"])
    return f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}"


def script_exists(name):
    from scripts_app.models import Script

    return sync_to_async(Script.objects.filter(name=name).exists)()


# -- the platform's cookies are not the scripts' ---------------------------------------

SIGNED_IN = pytest.mark.parametrize("signed_in", [False, True], ids=["fast", "django"])


@SIGNED_IN
@pytest.mark.parametrize("route", ["/cookie", "/admin/cookie"])
@pytest.mark.parametrize(
    "cookie",
    [
        "sessionid=forged; Path=/",
        "sessionid=forged; Path=/system/admin/",  # the admin's own pages
        "csrftoken=" + CSRF,
        " sessionid =x",
    ],
)
async def test_a_script_cannot_set_the_platform_cookies(
    scripts, session, signed_in, route, cookie
):
    headers = {"Cookie": session} if signed_in else {}
    r = await request("GET", f"{route}?v={cookie}", headers=headers)

    assert r.status_code == 500
    assert r.json()["error"]["code"] == "script_bad_response"
    assert "may not set the platform's cookie" in r.json()["error"]["message"]
    assert "set-cookie" not in r.headers


@SIGNED_IN
async def test_a_script_cannot_clear_the_platform_cookies(scripts, session, signed_in):
    headers = {"Cookie": session} if signed_in else {}
    r = await request("GET", "/clear", headers=headers)

    assert r.status_code == 500
    assert "clear-site-data" not in r.headers


async def test_a_script_still_sets_its_own_cookies(scripts):
    r = await request("GET", "/cookie?v=theme=dark; Path=/")

    assert r.status_code == 200
    assert r.headers["set-cookie"] == "theme=dark; Path=/"


async def test_the_csrf_cookie_cannot_be_read_by_page_scripts(cast):
    r = await request("GET", "/system/admin/login/")

    csrf = [c for c in r.headers.get_list("set-cookie") if c.startswith("csrftoken=")]
    assert r.status_code == 200
    assert csrf and "HttpOnly" in csrf[0]
    assert "Domain=" not in csrf[0]  # host-only


async def test_the_session_cookie_is_host_only(cast):
    from tests.cast import PASSWORD

    r = await request(
        "POST",
        "/system/admin/login/",
        headers={
            "Cookie": f"csrftoken={CSRF}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": "http://acme.test",
        },
        body=f"username=root&password={PASSWORD}&csrfmiddlewaretoken={CSRF}".encode(),
    )

    session = [c for c in r.headers.get_list("set-cookie") if c.startswith("sessionid")]
    assert r.status_code == 302, r.text
    assert session and "HttpOnly" in session[0] and "Domain=" not in session[0]


# -- script pages are sandboxed -------------------------------------------------------


@SIGNED_IN
async def test_a_script_under_admin_never_sees_the_platform_cookies(
    scripts, session, signed_in
):
    # /admin/... is a script path since the admin moved to /system/admin/;
    # the cookies' Path is "/" (scripts' session users need them), so the
    # platform keeps them from the handler instead.
    cookie = f"{session}; theme=dark" if signed_in else "theme=dark"
    r = await request("GET", "/admin/cookies", headers={"Cookie": cookie})

    assert r.status_code == 200
    assert r.text == "theme=dark"


@SIGNED_IN
@pytest.mark.parametrize("route", ["/page", "/admin/page"])
async def test_a_script_page_is_sandboxed_away_from_the_console(
    scripts, session, signed_in, route
):
    r = await request("GET", route, headers={"Cookie": session} if signed_in else {})

    policy = r.headers["content-security-policy"]
    assert r.status_code == 200
    assert "sandbox" in policy and "allow-same-origin" not in policy
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"


async def test_a_script_policy_is_enforced_with_the_platform_one(scripts):
    r = await request("GET", "/own-policy")

    policy = r.headers["content-security-policy"]
    assert policy.startswith("sandbox allow-scripts")
    assert policy.endswith(", default-src *")  # two policies: both apply


async def test_a_sandboxed_page_may_read_its_own_routes(scripts):
    r = await request("GET", "/page", headers={"Origin": "null"})

    assert r.headers["access-control-allow-origin"] == "null"
    assert "Origin" in r.headers["vary"]
    assert "access-control-allow-credentials" not in r.headers


@SIGNED_IN
async def test_an_operator_tunes_the_headers_of_script_replies(
    scripts, session, settings, signed_in
):
    settings.SCRIPTS = {
        **settings.SCRIPTS,
        "RESPONSE_HEADERS": {
            "Content-Security-Policy": None,
            "X-Frame-Options": "",
            "Permissions-Policy": "camera=()",
        },
    }
    r = await request("GET", "/page", headers={"Cookie": session} if signed_in else {})

    assert r.status_code == 200
    assert "content-security-policy" not in r.headers
    assert "x-frame-options" not in r.headers
    assert r.headers["permissions-policy"] == "camera=()"
    assert r.headers["x-content-type-options"] == "nosniff"


@SIGNED_IN
async def test_a_header_the_operator_took_off_stays_when_the_script_sets_it(
    scripts, session, settings, signed_in
):
    settings.SCRIPTS = {
        **settings.SCRIPTS,
        "RESPONSE_HEADERS": {"X-Frame-Options": None},
    }
    headers = {"Cookie": session} if signed_in else {}
    r = await request("GET", "/framed", headers=headers)

    assert r.headers["x-frame-options"] == "SAMEORIGIN"


async def test_console_pages_keep_their_frame_protection(cast, settings):
    settings.SCRIPTS = {
        **settings.SCRIPTS,
        "RESPONSE_HEADERS": {"X-Frame-Options": None},
    }
    r = await request("GET", "/system/admin/login/")

    assert r.headers["x-frame-options"] == "DENY"


# -- session writes come from the console's own pages ---------------------------------


def write(session, **headers):
    return {
        "Cookie": session,
        "X-CSRFToken": CSRF,
        "Content-Type": "application/javascript",
        **headers,
    }


@pytest.mark.parametrize(
    "origin",
    [
        {"Origin": "null"},  # a sandboxed script page
        {"Origin": "http://globex.test"},  # another tenant's domain
        {"Referer": "http://globex.test/page"},  # no Origin: the Referer decides
        {"Referer": "http://acme.test.evil.test/x"},
        {"Sec-Fetch-Site": "same-origin"},  # a browser request with neither
    ],
    ids=["null", "other-origin", "other-referer", "lookalike-referer", "neither"],
)
async def test_a_session_write_from_another_page_is_refused(scripts, session, origin):
    r = await request(
        "PUT",
        "/system/scripts/planted",
        headers=write(session, **origin),
        body=NEW_SCRIPT,
    )

    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "csrf_failed"
    assert not await script_exists("planted")


@pytest.mark.parametrize(
    "path",
    [
        "/system/api/scripts",
        "/system/admin/auth/user/add/",
        "/graphql",
        "/t/globex/graphql",
    ],
)
async def test_every_console_write_checks_the_origin(scripts, session, path):
    r = await request(
        "POST",
        path,
        headers=write(session, Origin="null", **{"Content-Type": "application/json"}),
        body=b'{"query": "mutation { deleteScript(uri: \\"pages\\") { success } }"}',
    )

    assert r.status_code == 403, r.text
    assert await script_exists("pages")


@pytest.mark.parametrize(
    "origin",
    [{"Origin": "http://acme.test"}, {"Referer": "http://acme.test/system/admin/"}],
)
async def test_a_session_write_from_the_console_page_is_accepted(session, origin):
    r = await request(
        "PUT", "/system/scripts/mine", headers=write(session, **origin), body=NEW_SCRIPT
    )

    assert r.status_code == 201, r.text
    assert await script_exists("mine")


async def test_token_calls_are_not_origin_checked(cast):
    r = await request(
        "PUT",
        "/system/scripts/by-token",
        headers={
            "Authorization": f"Token {cast['tokens']['alice']}",
            "Origin": "null",
            "Content-Type": "application/javascript",
        },
        body=NEW_SCRIPT,
    )

    assert r.status_code == 201, r.text


# -- the console host ----------------------------------------------------------------


@pytest.fixture
def console(settings, scripts):
    settings.SCRIPTS = {**settings.SCRIPTS, "CONSOLE_HOSTS": ["console.test"]}


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("acme.test", "/system/admin/login/"),
        ("acme.test", "/system/scripts"),
        ("acme.test", "/system/api/scripts"),
        ("acme.test", "/graphql"),
        ("scripts.test", "/t/acme/system/admin/login/"),
    ],
)
async def test_the_console_is_not_served_on_tenant_hosts(console, cast, host, path):
    auth = {"Authorization": f"Token {cast['tokens']['alice']}"}
    r = await request("GET", path, host=host, headers=auth)

    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    assert "console host only" in r.json()["error"]["message"]


async def test_the_console_is_served_on_the_console_host(console, cast):
    auth = {"Authorization": f"Token {cast['tokens']['alice']}"}
    login = await request("GET", "/system/admin/login/", host="console.test")
    scripts = await request(
        "GET", "/t/acme/system/scripts", host="console.test", headers=auth
    )

    assert login.status_code == 200
    assert scripts.status_code == 200
    assert [s["id"] for s in scripts.json()] == ["pages"]


@SIGNED_IN
async def test_script_routes_are_not_served_on_the_console_host(
    console, session, signed_in
):
    headers = {"Cookie": session} if signed_in else {}
    on_console = await request(
        "GET", "/t/acme/page", host="console.test", headers=headers
    )
    on_tenant = await request("GET", "/page", host="acme.test")

    assert on_console.status_code == 404
    assert "tenant's domain" in on_console.json()["error"]["message"]
    assert on_tenant.status_code == 200 and b"hello" in on_tenant.content


@pytest.fixture
def api_users(upload):
    source = (
        'function u() { return "users"; }\n'
        'routeRegistry.registerRoute("/api/users", "u");\n'
        'routeRegistry.registerRoute("/admin/users", "u");\n'
    )
    assert upload("api-users", source).status_code == 201


@pytest.mark.parametrize("path", ["/api/users", "/admin/users"])
async def test_api_and_admin_paths_are_script_paths_not_the_consoles(
    api_users, console, path
):
    # /api/ and /admin/ are the scripts' since the REST API and the admin
    # moved to /system/api/ and /system/admin/ (issue 13).

    on_tenant = await request("GET", path, host="acme.test")
    on_console = await request("GET", f"/t/acme{path}", host="console.test")

    assert (on_tenant.status_code, on_tenant.content) == (200, b"users")
    assert on_console.status_code == 404
    assert "tenant's domain" in on_console.json()["error"]["message"]


async def test_health_answers_on_every_host(console):
    for host in ("console.test", "acme.test"):
        assert (await request("GET", "/health", host=host)).status_code == 200


def test_a_cookie_domain_with_console_hosts_fails_the_start_up_check(settings):
    from django.core.checks import run_checks

    settings.SCRIPTS = {**settings.SCRIPTS, "CONSOLE_HOSTS": ["console.test"]}
    settings.SESSION_COOKIE_DOMAIN = ".example.test"

    ids = {message.id for message in run_checks()}

    assert "scripthost.E020" in ids


def test_a_tenant_cannot_claim_the_console_host(console):
    from django.core.exceptions import ValidationError

    from tenants.models import Tenant

    with pytest.raises(ValidationError, match="console's host"):
        Tenant(slug="sneaky", name="Sneaky", domains=["Console.test"]).full_clean()
