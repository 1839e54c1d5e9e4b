"""registerAssetRoute and listAssets: validated like routes, clashes dropped."""

import json

import pytest

pytestmark = pytest.mark.django_db

LOGO = 'routeRegistry.registerAssetRoute("/img/logo.png", "logo.png");\n'


def test_an_asset_route_is_stored_and_listed(upload, api):
    source = (
        LOGO
        + 'const seen = routeRegistry.registerAssetRoute("/site.css", "css/site.css");\n'
        + "function paths() { return routeRegistry.listAssets(); }\n"
        + 'routeRegistry.registerRoute("/paths", "paths", "GET");\n'
    )
    assert upload("site", source).status_code == 201

    script = api("alice").get("/system/api/scripts/site").json()
    paths = api().get("/paths")

    assert script["asset_routes"] == [
        {"path": "/img/logo.png", "asset": "logo.png"},
        {"path": "/site.css", "asset": "css/site.css"},
    ]
    assert json.loads(paths.content) == ["/img/logo.png", "/site.css"]


def test_registering_returns_a_description(upload, api):
    source = (
        "const said = "
        + LOGO
        + 'function said_() { return said; }\nrouteRegistry.registerRoute("/said", "said_");\n'
    )
    assert upload("site", source).status_code == 201

    assert (
        api().get("/said").content
        == b"Asset route registered: /img/logo.png -> logo.png"
    )


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        ('("logo.png", "logo.png")', "path must start with '/'"),
        ('("/img/:name", "logo.png")', "asset route path is literal"),
        ('("/img/*", "logo.png")', "asset route path is literal"),
        ('("/img", "")', "asset name must be 1-255 characters"),
        ('("/img", "../secret")', "without '..'"),
        ('("/img", 42)', "asset name must be"),
    ],
)
def test_an_invalid_asset_route_registers_nothing_and_is_a_warning(
    upload, call, problem
):
    from scripts_app.models import Route

    reply = upload("bad", f"routeRegistry.registerAssetRoute{call};")

    assert reply.status_code == 201, reply.content
    (warning,) = reply.json()["warnings"]
    assert problem in warning
    assert not Route.objects.exists()


def test_an_asset_route_under_a_reserved_prefix_is_dropped_with_a_warning(upload):
    from scripts_app.models import Route

    reply = upload(
        "bad", 'routeRegistry.registerAssetRoute("/system/logo", "logo.png");\n' + LOGO
    )

    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"] == [
        "asset route /system/logo: the path is the platform's (reserved)"
    ]
    assert list(Route.objects.values_list("path", "kind")) == [
        ("/img/logo.png", "asset")
    ]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_path_cannot_be_both_a_handler_and_an_asset_route_in_a_script(upload, method):
    source = (
        f"function h() {{ return 'h'; }}\n"
        f'routeRegistry.registerRoute("/img/logo.png", "h", "{method}");\n' + LOGO
    )
    reply = upload("both", source)

    # The asset route's call failed and registered nothing; the handler route stays.
    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"] == [
        f"path /img/logo.png is already a {method} route in this script"
    ]
    from scripts_app.models import Route

    assert list(Route.objects.values_list("method", "kind")) == [(method, "")]


@pytest.mark.parametrize(
    ("other", "what"),
    [
        (LOGO, "asset route /img/logo.png"),
        (
            'function h() { return "h"; }\n'
            'routeRegistry.registerRoute("/img/logo.png", "h", "POST");\n',
            "route POST /img/logo.png",
        ),
    ],
)
def test_a_path_another_script_holds_stays_with_it_both_ways(upload, other, what):
    from scripts_app.models import Route

    assert upload("first", LOGO).status_code == 201

    reply = upload("second", other)

    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"] == [f"{what}: script 'first' already serves it"]
    assert list(Route.objects.values_list("script__name", "path")) == [
        ("first", "/img/logo.png")
    ]


def test_an_asset_route_cannot_take_a_path_a_handler_holds(upload, api):
    from scripts_app.models import Route

    handler = 'function h() { return "h"; }\nrouteRegistry.registerRoute("/img/logo.png", "h");\n'
    assert upload("first", handler).status_code == 201

    reply = upload("second", LOGO)

    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"] == [
        "asset route /img/logo.png: script 'first' already serves it"
    ]
    assert list(Route.objects.values_list("script__name", "kind")) == [("first", "")]
    assert api().get("/img/logo.png").content == b"h"


def test_other_tenants_may_use_the_same_path(upload):
    assert upload("first", LOGO).status_code == 201

    assert upload("first", LOGO, user="erin", host="globex.test").status_code == 201


def test_reuploading_without_the_asset_route_frees_its_path(upload):
    from scripts_app.models import Route

    assert upload("first", LOGO).status_code == 201
    assert upload("first", "function h() { return 1; }").status_code == 200

    assert not Route.objects.filter(path="/img/logo.png").exists()
    assert upload("second", LOGO).status_code == 201
