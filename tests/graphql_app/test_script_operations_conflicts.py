"""Fragments of a tenant merge into one schema; clashes are dropped, naming both.

A registration that clashes with another script's is dropped from the upload
(the other script keeps its operation) and the upload's answer says why; the
upload itself goes through (issue 13).
"""

import pytest

from graphql_app.models import GraphQLOperation
from tests.graphql_app.conftest import SEED_USERS


def query(name, sdl, visibility="external", resolver="resolve"):
    return (
        f"function {resolver}(context) {{ return {{ id: 1, tag: 'x' }}; }}\n"
        f"graphQLRegistry.registerQuery({name!r}, `{sdl}`, {resolver!r}, "
        f"{visibility!r});\n"
    )


ITEM_INT = query("items", "type Item { id: Int! } type Query { items: Item }")
ITEM_ID = query("item", "type Item { id: ID! } type Query { item: Item }")


def dropped(response) -> str:
    """The one warning of an upload that went through without a registration."""
    assert response.status_code in (200, 201), response.content
    (warning,) = response.json()["warnings"]
    return warning


def test_same_type_with_a_different_field_type_is_dropped_naming_both_scripts(
    upload, graphql
):
    assert upload("alpha", ITEM_INT).status_code == 201

    warning = dropped(upload("beta", ITEM_ID))

    assert warning == (
        "GraphQL query 'item': field Item.id is 'id: Int!' in script 'alpha' "
        "(query items) but 'id: ID!' in script 'beta' (query item)"
    )
    assert list(GraphQLOperation.objects.values_list("name", flat=True)) == ["items"]


def test_the_schema_in_service_keeps_the_first_owners_operation(upload, graphql):
    upload("alpha", ITEM_INT)
    other = query("other", "type Other { a: Int } type Query { other: Other }")
    upload("beta", other)

    # beta's new version keeps `other` and adds `item`, which clashes with
    # alpha's Item: `item` is dropped, the rest is stored and served.
    dropped(upload("beta", other + ITEM_ID.replace("resolve", "resolve2")))
    response = graphql("{ items { id } other { a } }")

    assert response.json() == {"data": {"items": {"id": 1}, "other": {"a": None}}}
    assert graphql("{ item { id } }").status_code == 400
    assert set(GraphQLOperation.objects.values_list("name", flat=True)) == {
        "items",
        "other",
    }


def test_the_same_field_in_two_scripts_stays_with_the_first(upload):
    upload("alpha", ITEM_INT)

    warning = dropped(upload("beta", ITEM_INT))

    assert warning == (
        "GraphQL query 'items': Query.items is registered by script 'alpha' "
        "(query items) and again by script 'beta' (query items)"
    )
    assert list(GraphQLOperation.objects.values_list("script__name", "name")) == [
        ("alpha", "items")
    ]


def test_a_new_version_of_the_same_script_may_change_its_own_types(upload, graphql):
    upload("alpha", ITEM_INT)

    response = upload("alpha", ITEM_ID.replace("item", "items"))

    assert response.status_code == 200, response.content
    introspected = graphql(
        '{ __type(name: "Item") { fields { type { ofType { name } } } } }'
    )
    assert introspected.json()["data"]["__type"]["fields"] == [
        {"type": {"ofType": {"name": "ID"}}}
    ]


def test_object_types_merge_field_by_field_across_scripts(upload, graphql):
    upload("alpha", ITEM_INT)

    response = upload(
        "beta",
        query(
            "tagged", "type Item { id: Int! tag: String } type Query { tagged: Item }"
        ),
    )

    assert response.status_code == 201, response.content
    both = graphql("{ items { id tag } tagged { id tag } }").json()
    assert both == {
        "data": {"items": {"id": 1, "tag": "x"}, "tagged": {"id": 1, "tag": "x"}}
    }


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (
            "enum Color { RED } type Query { a: Color }",
            "enum Color { RED BLUE } type Query { b: Color }",
            "type Color is defined differently in script 'alpha' (query a) "
            "(enum Color { RED }) and in script 'beta' (query b) "
            "(enum Color { BLUE RED })",
        ),
        (
            "enum Color { RED } type Query { a: Color }",
            "type Color { red: Int } type Query { b: Color }",
            "type Color is an enum in script 'alpha' (query a) but an object type "
            "in script 'beta' (query b)",
        ),
        (
            "input Range { low: Int } type Query { a(r: Range): Int }",
            "input Range { low: Int! } type Query { b(r: Range): Int }",
            "type Range is defined differently in script 'alpha' (query a)",
        ),
        (
            "type Item { find(id: Int): Int } type Query { a: Item }",
            "type Item { find(id: ID): Int } type Query { b: Item }",
            "field Item.find is 'find(id: Int): Int' in script 'alpha' (query a) "
            "but 'find(id: ID): Int' in script 'beta' (query b)",
        ),
    ],
    ids=["enum-values", "kinds", "input-fields", "field-arguments"],
)
def test_incompatible_definitions_are_dropped(upload, first, second, expected):
    name_a, name_b = "a", "b"
    assert upload("alpha", query(name_a, first)).status_code == 201

    warning = dropped(upload("beta", query(name_b, second)))

    assert warning.startswith("GraphQL query 'b': ")
    assert expected in warning
    assert list(GraphQLOperation.objects.values_list("name", flat=True)) == ["a"]


def test_identical_definitions_in_any_order_are_compatible(upload):
    upload(
        "alpha", query("a", '"Colors" enum Color { RED BLUE } type Query { a: Color }')
    )

    response = upload(
        "beta", query("b", "enum Color { BLUE RED } type Query { b: Color }")
    )

    assert response.status_code == 201, response.content


def test_the_platforms_own_names_are_kept_from_scripts(upload):
    field = upload("alpha", query("scripts", "type Query { scripts: Int }"))
    type_ = upload(
        "beta", query("mine", "type Script { a: Int } type Query { mine: Script }")
    )

    assert dropped(field) == (
        "GraphQL query 'scripts': Query.scripts of script 'alpha' (query "
        "scripts) is a field of the platform's own schema; choose another name"
    )
    assert dropped(type_) == (
        "GraphQL query 'mine': type Script of script 'beta' (query mine) is a "
        "type of the platform's own schema; rename it"
    )
    assert not GraphQLOperation.objects.exists()


def test_clashes_inside_one_script_drop_the_later_registration(upload):
    source = ITEM_INT + ITEM_ID.replace(
        "function resolve", "function resolve2"
    ).replace("'resolve'", "'resolve2'")

    warning = dropped(upload("alpha", source))

    assert warning == (
        "GraphQL query 'item': field Item.id is 'id: Int!' in script 'alpha' "
        "(query items) but 'id: ID!' in script 'alpha' (query item)"
    )
    assert list(GraphQLOperation.objects.values_list("name", flat=True)) == ["items"]


def test_other_tenants_types_never_clash(upload):
    upload("alpha", ITEM_INT)

    response = upload("alpha", ITEM_ID, user="erin", host="globex.test")

    assert response.status_code == 201, response.content


def test_the_seed_examples_merge_with_each_other(upload):
    # users/user define User without createdAt and createUser with it.
    assert upload("users", SEED_USERS).status_code == 201
