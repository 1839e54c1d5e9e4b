"""Read-only admin screens: the streams scripts registered, the messages kept."""

from django.contrib import admin

from scripts_app.admin import ViewOnlyAdmin
from streams_app.models import Listener, StreamMessage, StreamRoute


@admin.register(StreamRoute)
class StreamRouteAdmin(ViewOnlyAdmin):
    list_display = ["path", "script", "customizer", "tenant"]
    list_filter = ["tenant", ("script", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["path", "script__name"]
    list_select_related = ["tenant", "script", "script__tenant"]
    fields = ["tenant", "path", "script", "customizer"]
    readonly_fields = fields


@admin.register(StreamMessage)
class StreamMessageAdmin(ViewOnlyAdmin):
    """The last messages of each stream (what reconnecting clients catch up on)."""

    list_display = ["id", "path", "script_name", "tenant", "short_data", "created_at"]
    list_filter = ["tenant"]
    search_fields = ["path", "script_name"]
    list_select_related = ["tenant"]
    ordering = ["-id"]
    fields = ["id", "tenant", "path", "script_name", "data", "filter", "created_at"]
    readonly_fields = fields

    @admin.display(description="data")
    def short_data(self, obj):
        return obj.data if len(obj.data) <= 80 else obj.data[:79] + "…"


# The dispatcher's listeners (streams and the dispatcher share this module).
@admin.register(Listener)
class ListenerAdmin(ViewOnlyAdmin):
    list_display = ["message_type", "script", "handler", "tenant"]
    list_filter = ["tenant", ("script", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["message_type", "handler", "script__name"]
    list_select_related = ["tenant", "script", "script__tenant"]
    fields = ["tenant", "message_type", "script", "handler"]
    readonly_fields = fields
