"""URL map: the platform's own endpoints, then the script catch-all (last)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve as serve_static
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from assets_app.api import AssetViewSet
from documents_app.views import StoreView
from graphql_app.sse import graphql_sse
from graphql_app.views import PlatformGraphQLView
from scheduler_app.api import JobViewSet
from scripts_app import api, system_api
from scripts_app.health import health
from scripts_app.views import script_route
from secrets_app.api import SecretViewSet
from triggers_app import api as triggers_api
from triggers_app.views import CustomEndpoint

# The REST API lives under /system/api/ and the admin under /system/admin/,
# never /api/ or /admin/: the seeds' own examples register script routes there
# (/api/users, /api/custom/sales-report, POST /admin/broadcast).
router = DefaultRouter()  # its root view lists the endpoints (JSON or browsable)
router.trailing_slash = "/?"  # accept /system/api/logs and /system/api/logs/
router.register("scripts", api.ScriptViewSet, basename="script")
router.register("logs", api.LogViewSet, basename="log")
router.register("executions", api.ExecutionViewSet, basename="execution")
router.register("assets", AssetViewSet, basename="asset")
router.register("secrets", SecretViewSet, basename="secret")
router.register("jobs", JobViewSet, basename="job")

urlpatterns = [
    path("health", health, name="health"),
    path("system/scripts", system_api.ScriptList.as_view(), name="system-scripts"),
    path(
        "system/scripts/<str:script_id>",
        system_api.ScriptDetail.as_view(),
        name="system-script",
    ),
    path("system/triggers", triggers_api.TriggerList.as_view(), name="system-triggers"),
    path(
        "system/triggers/<str:trigger_id>",
        triggers_api.TriggerDetail.as_view(),
        name="system-trigger",
    ),
    path("system/messages", triggers_api.MessageList.as_view(), name="system-messages"),
    path(
        "system/messages/<str:message_id>",
        triggers_api.MessageDetail.as_view(),
        name="system-message",
    ),
    path(
        "system/api/schema",
        SpectacularAPIView.as_view(
            permission_classes=[AllowAny], authentication_classes=[]
        ),
        name="api-schema",
    ),
    path(
        "system/api/docs",
        SpectacularSwaggerView.as_view(
            url_name="api-schema",
            permission_classes=[AllowAny],
            authentication_classes=[],
        ),
        name="api-docs",
    ),
    path("system/api/", include(router.urls)),
    # The document store: /store/assets/pump-1 is the entity "/assets/pump-1".
    re_path(r"^store(?P<path>/.*)?$", StoreView.as_view(), name="store"),
    # Predix custom endpoints: a trigger binds a custom script to /custom/<name>.
    re_path(r"^custom/(?P<name>[^/]+)/?$", CustomEndpoint.as_view(), name="custom"),
    re_path(r"^graphql/?$", PlatformGraphQLView.as_view(), name="graphql"),
    re_path(r"^graphql/sse/?$", graphql_sse, name="graphql-sse"),
    path("system/admin/", admin.site.urls),
    re_path(
        r"^static/(?P<path>.*)$", serve_static, {"document_root": settings.STATIC_ROOT}
    ),
    re_path(r"^.*$", script_route, name="script-route"),  # last: script routes
]
