"""Reference views for the benchmark, ahead of the platform's own URLs."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as platform_urls
from storage_app.models import StoredItem

REF_SCRIPT = "bench-ref"


async def ref_hello(request):
    """Answer like the hello script does, as a plain async Django view."""
    name = request.GET.get("name", "world")
    return HttpResponse(f"Hello, {name}!", content_type="text/plain")


async def ref_storage(request):
    """Read one stored value and write it back incremented, with the ORM."""
    key = request.GET.get("k", "k")
    namespace = f"shared:{REF_SCRIPT}"
    item = await StoredItem.objects.filter(
        tenant=request.tenant, namespace=namespace, key=key
    ).afirst()
    value = str(int(item.value) + 1 if item else 1)
    await StoredItem.objects.aupdate_or_create(
        tenant=request.tenant,
        namespace=namespace,
        key=key,
        defaults={
            "scope": "shared",
            "script_name": REF_SCRIPT,
            "value": value,
            "size": len(key) + len(value),
        },
    )
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("ref/hello", ref_hello),
    path("ref/storage", ref_storage),
    *platform_urls,
]
