"""Read-only admin screen: the GraphQL operations scripts registered."""

from django.contrib import admin

from graphql_app.models import GraphQLOperation
from scripts_app.admin import ViewOnlyAdmin


@admin.register(GraphQLOperation)
class GraphQLOperationAdmin(ViewOnlyAdmin):
    """Written only by uploads; an admin may look."""

    list_display = ["name", "kind", "visibility", "script", "handler", "tenant"]
    list_filter = [
        "tenant",
        ("script", admin.RelatedOnlyFieldListFilter),
        "kind",
        "visibility",
    ]
    search_fields = ["name", "handler", "script__name"]
    list_select_related = ["tenant", "script", "script__tenant"]
    fields = ["tenant", "kind", "name", "visibility", "script", "handler", "sdl"]
    readonly_fields = fields
