"""Find one of the request's tenant's objects by its key, or answer 404."""

from rest_framework.exceptions import NotFound


def tenant_object_or_404(model, request, kind: str, listing: str, **key):
    """Return the tenant's `model` row matching `key`, or raise NotFound.

    The message names what was missing and where the list of them is, e.g.
    "No script 'x' in this tenant; GET /system/api/scripts lists them."
    """
    found = model.objects.filter(tenant=request.tenant, **key).first()
    if found is None:
        (value,) = key.values()
        raise NotFound(f"No {kind} '{value}' in this tenant; GET {listing} lists them.")
    return found
