"""/store/: the document store's REST API, its rules, roles and tenants."""

import pytest

from documents_app.models import Entity

pytestmark = pytest.mark.django_db

PUMP = {"uri": "/assets/pump-1", "type": "pump", "site": "north", "rpm": 1200}


def stored(tenant="acme"):
    return {
        e.uri: e.body
        for e in Entity.objects.filter(tenant__slug=tenant).order_by("uri")
    }


def test_post_one_entity_then_get_it(api):
    created = api("bob").post("/store/assets", PUMP, format="json")
    got = api("charlie").get("/store/assets/pump-1")

    assert created.status_code == 201
    assert created.json() == [PUMP]
    assert got.status_code == 200
    assert got.json() == PUMP


def test_post_an_array_creates_or_replaces_each_entity(api):
    api("bob").post("/store/assets", PUMP, format="json")
    replaced = {**PUMP, "rpm": 900}
    other = {"uri": "/assets/valve-1", "type": "valve"}

    reply = api("bob").post("/store/assets", [replaced, other], format="json")

    assert reply.status_code == 201
    assert stored() == {"/assets/pump-1": replaced, "/assets/valve-1": other}
    assert Entity.objects.get(uri="/assets/pump-1").version == 2


def test_collection_filter_and_paging(api):
    entities = [
        {"uri": f"/assets/a{i:02}", "type": "pump" if i % 2 else "valve", "n": i}
        for i in range(10)
    ]
    api("bob").post("/store/assets", entities, format="json")

    pumps = api("charlie").get("/store/assets?filter=type=pump")
    page = api("charlie").get("/store/assets?pageSize=3&offset=3")
    typed = api("charlie").get("/store/assets?filter=type=pump:n=3")

    assert [e["uri"] for e in pumps.json()] == [
        f"/assets/a{i:02}" for i in (1, 3, 5, 7, 9)
    ]
    assert pumps["X-Total-Count"] == "5"
    assert [e["n"] for e in page.json()] == [3, 4, 5]
    assert page["Link"] == '</store/assets?pageSize=3&offset=6>; rel="next"'
    assert [e["uri"] for e in typed.json()] == ["/assets/a03"]


def test_filter_on_a_nested_field(api):
    api("bob").post(
        "/store/assets",
        [
            {"uri": "/assets/p1", "location": {"site": "north"}},
            {"uri": "/assets/p2", "location": {"site": "south"}},
        ],
        format="json",
    )

    reply = api("charlie").get("/store/assets?filter=location.site=south")

    assert [e["uri"] for e in reply.json()] == ["/assets/p2"]


def test_put_creates_then_replaces_one_entity(api):
    first = api("bob").put("/store/assets/pump-1", {"type": "pump"}, format="json")
    second = api("bob").put("/store/assets/pump-1", {"type": "big pump"}, format="json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert stored() == {"/assets/pump-1": {"uri": "/assets/pump-1", "type": "big pump"}}


def test_patch_applies_a_json_patch(api):
    api("bob").post("/store/assets", PUMP, format="json")
    ops = [
        {"op": "replace", "path": "/rpm", "value": 1500},
        {"op": "add", "path": "/tags", "value": ["hot"]},
        {"op": "remove", "path": "/site"},
    ]

    reply = api("bob").patch("/store/assets/pump-1", ops, format="json")

    assert reply.status_code == 200
    assert reply.json() == {
        "uri": "/assets/pump-1",
        "type": "pump",
        "rpm": 1500,
        "tags": ["hot"],
    }
    assert stored()["/assets/pump-1"] == reply.json()


def test_patch_with_the_json_patch_media_type(api):
    api("bob").post("/store/assets", PUMP, format="json")

    reply = api("bob").patch(
        "/store/assets/pump-1",
        b'[{"op": "replace", "path": "/rpm", "value": 1}]',
        content_type="application/json-patch+json",
    )

    assert reply.status_code == 200
    assert stored()["/assets/pump-1"]["rpm"] == 1


def test_delete_removes_the_entity(api):
    api("bob").post("/store/assets", PUMP, format="json")

    deleted = api("bob").delete("/store/assets/pump-1")
    again = api("bob").delete("/store/assets/pump-1")

    assert deleted.status_code == 204
    assert again.status_code == 404
    assert stored() == {}


def test_the_store_root_lists_collections(api):
    api("bob").post("/store/assets", [PUMP, {"uri": "/assets/p2"}], format="json")
    api("bob").put("/store/sites/north", {}, format="json")

    reply = api("charlie").get("/store")

    assert reply.json() == [
        {"collection": "/assets", "entities": 2},
        {"collection": "/sites", "entities": 1},
    ]


# -- bad input: a clear 4xx, and nothing changes ----------------------------------


@pytest.mark.parametrize(
    "method, path, body, status, words",
    [
        ("post", "/store/assets", b"{not json", 400, "JSON parse error"),
        ("post", "/store/assets", b'{"type": "pump"}', 400, "has no 'uri'"),
        (
            "post",
            "/store/assets",
            b'{"uri": "/sites/x"}',
            400,
            "outside the collection",
        ),
        ("post", "/store/assets", b'{"uri": "/assets"}', 400, "outside the collection"),
        ("post", "/store/assets", b"[1]", 400, "must be a JSON object (entity 0)"),
        ("post", "/store/assets", b"[]", 400, "empty array"),
        (
            "post",
            "/store/assets",
            b'[{"uri": "/assets/x"}, {"uri": "/assets/x"}]',
            400,
            "appears twice",
        ),
        (
            "post",
            "/store/assets/pump-1",
            b'{"uri": "/assets/pump-1"}',
            405,
            "POST to a collection",
        ),
        ("put", "/store/assets", b"{}", 405, "PUT writes one entity"),
        (
            "put",
            "/store/assets/p9",
            b'{"uri": "/assets/p8"}',
            400,
            "not the uri it is written to",
        ),
        ("put", "/store/assets/a/b", b"{}", 400, "no deeper paths"),
        ("put", "/store/bad%20name/x", b"{}", 400, "Invalid collection name"),
        ("patch", "/store/assets/pump-1", b'{"op": "add"}', 400, "JSON Patch"),
        (
            "patch",
            "/store/assets/pump-1",
            b'[{"op": "jump", "path": "/a"}]',
            400,
            "no valid 'op'",
        ),
        (
            "patch",
            "/store/assets/pump-1",
            b'[{"op": "remove", "path": "/missing"}]',
            409,
            "does not apply",
        ),
        (
            "patch",
            "/store/assets/pump-1",
            b'[{"op": "test", "path": "/rpm", "value": 1}]',
            409,
            "test failed",
        ),
        (
            "patch",
            "/store/assets/pump-1",
            b'[{"op": "replace", "path": "/uri", "value": "/assets/x"}]',
            400,
            "may not change an entity's uri",
        ),
        ("patch", "/store/assets/nope", b"[]", 404, "No entity '/assets/nope'"),
        ("delete", "/store/assets", None, 405, "DELETE one entity"),
    ],
)
def test_bad_requests_say_what_is_wrong_and_change_nothing(
    api, method, path, body, status, words
):
    api("bob").post("/store/assets", PUMP, format="json")
    before = stored()

    kwargs = {} if body is None else {"data": body, "content_type": "application/json"}
    reply = getattr(api("bob"), method)(path, **kwargs)

    assert reply.status_code == status, reply.content
    assert words in reply.json()["error"]["message"]
    assert stored() == before


def test_a_failing_entity_in_an_array_writes_none_of_them(api):
    reply = api("bob").post(
        "/store/assets",
        [{"uri": "/assets/ok"}, {"uri": "/elsewhere/x"}],
        format="json",
    )

    assert reply.status_code == 400
    assert "entity 1" in reply.json()["error"]["message"]
    assert stored() == {}


def test_paging_arguments_are_checked(api):
    too_big = api("charlie").get("/store/assets?pageSize=100000")
    not_int = api("charlie").get("/store/assets?offset=x")
    bad_filter = api("charlie").get("/store/assets?filter=type")

    assert too_big.status_code == not_int.status_code == bad_filter.status_code == 400
    assert (
        "pageSize must be an integer from 1 to 1000"
        in too_big.json()["error"]["message"]
    )
    assert "offset must be an integer" in not_int.json()["error"]["message"]
    assert "field=value" in bad_filter.json()["error"]["message"]


# -- roles and tenants ---------------------------------------------------------------


def test_viewers_read_but_do_not_write(api):
    reply = api("charlie").post("/store/assets", PUMP, format="json")

    assert reply.status_code == 403
    assert stored() == {}


def test_anonymous_and_strangers_are_refused(api):
    api("bob").post("/store/assets", PUMP, format="json")

    assert api().get("/store/assets/pump-1").status_code == 401
    assert api("dave").get("/store/assets/pump-1").status_code == 403


def test_tenants_do_not_see_each_others_entities(api):
    api("bob").post("/store/assets", PUMP, format="json")
    api("erin").post(
        "/store/assets",
        {**PUMP, "site": "globex"},
        format="json",
        HTTP_HOST="globex.test",
    )

    acme = api("charlie").get("/store/assets/pump-1")
    globex = api("erin", host="globex.test").get("/store/assets")
    erin_in_acme = api("erin").get("/store/assets/pump-1")

    assert acme.json()["site"] == "north"
    assert [e["site"] for e in globex.json()] == ["globex"]
    assert erin_in_acme.status_code == 403
    assert stored("globex") == {"/assets/pump-1": {**PUMP, "site": "globex"}}


def test_store_paths_are_kept_from_scripts(api, upload):
    reply = upload(
        "grab",
        'function h(c) { return "mine"; }\n'
        'function init() { routeRegistry.registerRoute("/store/assets", "h", "GET"); }',
    )

    served = api("charlie").get("/store/assets")

    assert "/store" in reply.content.decode()
    assert (served.status_code, served.json()) == (200, [])
