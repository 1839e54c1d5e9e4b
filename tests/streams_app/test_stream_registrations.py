"""registerStreamRoute at upload: stored with the version, checked for clashes."""

import json

import pytest

from streams_app.models import StreamRoute
from tests.streams_app.streaming import forget_streams, put

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_streams():
    forget_streams()
    yield
    forget_streams()


NEWS = """
function who(context) { return { room: context.request.query.room }; }
function init(context) {
  routeRegistry.registerStreamRoute("/news");
  routeRegistry.registerStreamRoute("/rooms", "who");
}
"""


def test_streams_are_stored_with_their_customizer(cast, upload):
    put(upload, "news", NEWS)

    rows = {r.path: r for r in StreamRoute.objects.filter(tenant=cast["acme"])}

    assert sorted(rows) == ["/news", "/rooms"]
    assert rows["/news"].customizer == ""
    assert rows["/rooms"].customizer == "who"
    assert rows["/rooms"].script.name == "news"


def test_a_new_version_replaces_the_streams(cast, upload):
    put(upload, "news", NEWS)
    put(upload, "news", 'routeRegistry.registerStreamRoute("/other");')

    paths = list(
        StreamRoute.objects.filter(tenant=cast["acme"]).values_list("path", flat=True)
    )

    assert paths == ["/other"]


def test_deleting_the_script_drops_its_streams(cast, upload, api):
    put(upload, "news", NEWS)

    gone = api("alice").delete("/system/scripts/news")

    assert gone.status_code in (200, 204), gone.content
    assert not StreamRoute.objects.filter(tenant=cast["acme"]).exists()


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ('"news"', "path must start with '/'"),
        ('"/" + "a".repeat(200)', "200"),
        ('"/rooms/:id"', "literal"),
        ('"/files/*"', "literal"),
        ('""', "non-empty"),
        ('"/news", 42', "customizer must be a function name"),
        ('"/news", "nope"', "not a function in this script"),
    ],
)
def test_an_invalid_stream_registers_nothing_and_is_a_warning(
    cast, upload, call, expected
):
    reply = upload("bad", f"routeRegistry.registerStreamRoute({call});")

    assert reply.status_code == 201, reply.content
    (warning,) = reply.json()["warnings"]
    assert expected in warning
    assert not StreamRoute.objects.exists()


def test_registering_returns_a_status_string_or_an_error_string(cast, upload, api):
    source = """
    const said = routeRegistry.registerStreamRoute("/said");
    function show(c) {
      return { status: 200, body: [said, routeRegistry.registerStreamRoute("/x")] };
    }
    routeRegistry.registerRoute("/said/show", "show", "GET");
    """
    put(upload, "said", source)

    said = api(host="acme.test").get("/said/show").json()

    # From a handler too (tests/streams_app/test_stream_registered_from_handler.py).
    assert said == ["Stream registered: /said", "Stream registered: /x"]


def test_a_reserved_path_is_dropped_with_a_warning(cast, upload):
    reply = upload(
        "sys",
        'routeRegistry.registerStreamRoute("/system/feed");\n'
        'routeRegistry.registerStreamRoute("/feed");',
    )

    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"] == [
        "stream /system/feed: the path is the platform's (reserved)"
    ]
    assert list(StreamRoute.objects.values_list("path", flat=True)) == ["/feed"]


def _owners(path):
    return sorted(
        StreamRoute.objects.filter(path=path).values_list("script__name", flat=True)
    )


def test_a_stream_path_taken_by_another_script_stays_with_it(cast, upload):
    put(upload, "first", 'routeRegistry.registerStreamRoute("/feed");')

    reply = upload(
        "second",
        'routeRegistry.registerStreamRoute("/feed");\n'
        'routeRegistry.registerStreamRoute("/mine");',
    )

    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"] == [
        "stream /feed: script 'first' already serves it (a stream)"
    ]
    assert _owners("/feed") == ["first"]
    assert _owners("/mine") == ["second"]


def test_a_stream_on_another_scripts_get_route_is_dropped(cast, upload):
    put(
        upload,
        "page",
        'function p(c) { return "page"; } routeRegistry.registerRoute("/feed", "p");',
    )

    reply = upload("feed", 'routeRegistry.registerStreamRoute("/feed");')

    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"] == ["stream /feed: script 'page' already serves it"]
    assert not StreamRoute.objects.exists()


def test_a_stream_on_another_scripts_head_route_is_dropped(cast, upload):
    put(
        upload,
        "page",
        'function p(c) { return "";}'
        ' routeRegistry.registerRoute("/feed", "p", "HEAD");',
    )

    reply = upload("feed", 'routeRegistry.registerStreamRoute("/feed");')

    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"] == ["stream /feed: script 'page' already serves it"]
    assert not StreamRoute.objects.exists()


def test_a_get_route_on_another_scripts_stream_is_dropped(cast, upload, api):
    from scripts_app.models import Route

    put(upload, "feed", 'routeRegistry.registerStreamRoute("/feed");')

    reply = upload(
        "page",
        'function p(c) { return "page"; }\n'
        'routeRegistry.registerRoute("/feed", "p");\n'
        'routeRegistry.registerRoute("/page", "p");',
    )

    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"] == [
        "route GET /feed: script 'feed' already serves it (a stream)"
    ]
    assert list(
        Route.objects.filter(script__name="page").values_list("path", flat=True)
    ) == ["/page"]
    assert _owners("/feed") == ["feed"]
    assert api(host="acme.test").get("/page").content == b"page"


def test_a_post_route_may_share_a_stream_path(cast, upload):
    put(upload, "feed", 'routeRegistry.registerStreamRoute("/feed");')

    reply = upload(
        "poster",
        'function p(c) { return "posted"; }'
        ' routeRegistry.registerRoute("/feed", "p", "POST");',
    )

    assert reply.status_code == 201, reply.content


def test_tenants_have_their_own_stream_paths(cast, upload):
    put(upload, "feed", 'routeRegistry.registerStreamRoute("/feed");')
    put(upload, "feed", 'routeRegistry.registerStreamRoute("/feed");', "globex.test")

    assert StreamRoute.objects.filter(path="/feed").count() == 2


LISTER = """
routeRegistry.registerStreamRoute("/a");
routeRegistry.registerStreamRoute("/b/c");
function list(c) { return { status: 200, body: JSON.parse(routeRegistry.listStreams()) }; }
routeRegistry.registerRoute("/list-streams", "list", "GET");
"""


def test_list_streams_gives_absolute_uris_of_this_tenant(cast, upload, api):
    put(upload, "lister", LISTER)

    by_domain = api(host="acme.test").get("/list-streams")
    by_prefix = api(host="elsewhere.test").get("/t/acme/list-streams")

    assert by_domain.json() == [
        {"path": "/a", "uri": "http://acme.test/a"},
        {"path": "/b/c", "uri": "http://acme.test/b/c"},
    ]
    assert json.loads(by_prefix.content) == [
        {"path": "/a", "uri": "http://elsewhere.test/t/acme/a"},
        {"path": "/b/c", "uri": "http://elsewhere.test/t/acme/b/c"},
    ]
