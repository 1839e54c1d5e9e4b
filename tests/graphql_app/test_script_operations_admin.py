"""The admin: registered operations to look at, and the tenant's public switch."""

import pytest
from django.test import Client

from tests.cast import PASSWORD
from tests.graphql_app.conftest import SEED_USERS


@pytest.fixture
def admin_client(cast):
    client = Client()
    assert client.login(username="root", password=PASSWORD)
    return client


def test_operations_are_listed_and_shown_read_only(admin_client, upload):
    from graphql_app.models import GraphQLOperation

    upload("users", SEED_USERS)
    op = GraphQLOperation.objects.get(name="createUser")

    listing = admin_client.get("/system/admin/graphql_app/graphqloperation/")
    detail = admin_client.get(
        f"/system/admin/graphql_app/graphqloperation/{op.pk}/change/"
    )
    adding = admin_client.get("/system/admin/graphql_app/graphqloperation/add/")

    assert listing.status_code == 200
    assert b"userActivity" in listing.content
    assert detail.status_code == 200
    assert b"createUser(name: String!, email: String!): User!" in detail.content
    assert adding.status_code == 403


def test_ticking_public_operations_opens_them_to_anonymous_callers(
    admin_client, upload, graphql, cast
):
    upload("users", SEED_USERS)
    assert "Authentication required" in str(
        graphql("{ users { id } }", user=None).json()
    )

    page = f"/system/admin/tenants/tenant/{cast['acme'].pk}/change/"
    assert b'name="graphql_public"' in admin_client.get(page).content
    response = admin_client.post(
        page,
        {
            "slug": "acme",
            "name": "Acme",
            "domains": "acme.test",
            "graphql_public": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 302
    assert graphql("{ users { id } }", user=None).json() == {
        "data": {"users": [{"id": 1}, {"id": 2}]}
    }
