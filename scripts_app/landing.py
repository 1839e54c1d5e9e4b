"""GET / when no script of the tenant owns it: links to the platform's pages."""

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse

from scripts_app.routing import NoMatch


def owns_nothing_at_root(call, found) -> bool:
    """Is this a GET/HEAD of `/` that no script route answers?"""
    return (
        call.path == "/"
        and call.method in ("GET", "HEAD")
        and isinstance(found, NoMatch)
        and not found.allowed  # a route for another method says 405 instead
    )


def links() -> dict[str, str]:
    """The platform's pages, as paths under the request's script prefix."""
    return {
        "admin": reverse("admin:index"),
        "api": reverse("api-root"),
        "apiDocs": reverse("api-docs"),
        "apiSchema": reverse("api-schema"),
        "graphql": reverse("graphql"),
        "health": reverse("health"),
    }


def landing(request):
    """Answer HTML to browsers, and the same links as JSON to everyone else."""
    if "text/html" in request.headers.get("Accept", ""):
        return render(request, "scripts_app/landing.html", {"links": links()})
    return JsonResponse({"name": "scripthost", "links": links()})
