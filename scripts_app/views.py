"""The catch-all view (mounted last): serve script routes through scripts_app.serving."""

from io import BytesIO

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authtoken.models import Token

from core.plugins import overriding
from scripts_app.http import (
    UNSAFE,
    HttpCall,
    HttpReply,
    add_platform_headers,
    auth_for,
    clean_headers,
    form_of,
    removed_headers,
)
from scripts_app.landing import landing, owns_nothing_at_root
from scripts_app.serving import find_route, serve
from tenants.models import role_of


def to_django(reply: HttpReply) -> HttpResponse:
    response = HttpResponse(reply.body, status=reply.status)
    for name, value in reply.headers:
        response[name] = value
    response.drop_headers = _dropped(reply)
    return response


def _dropped(reply: HttpReply) -> frozenset[str]:
    """Headers Django's middlewares add that the operator took off script replies.

    scripts_app.console.ConsoleMiddleware drops them on the way out; those the
    script set itself stay, as on the fast path.
    """
    return removed_headers() - {name.lower() for name, _ in reply.headers}


async def _user_of(request):
    """Return (user, via_token, error reply)."""
    keyword, _, key = request.headers.get("Authorization", "").partition(" ")
    if keyword.lower() == "token":
        token = (
            await Token.objects.select_related("user").filter(key=key.strip()).afirst()
        )
        if token is None or not token.user.is_active:
            return (
                None,
                True,
                HttpReply.error(401, "not_authenticated", "Invalid token.", request.id),
            )
        return token.user, True, None
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        # Without a session cookie the caller is anonymous; not touching the
        # session also keeps "Vary: Cookie" off, as on the fast path.
        return AnonymousUser(), False, None
    user = await request.auser()
    if user.is_authenticated and request.method in UNSAFE:
        # Session cookies ride along on cross-site requests; insist on CSRF proof.
        failure = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if failure is not None:
            return (
                None,
                False,
                HttpReply.error(
                    403,
                    "csrf_failed",
                    "CSRF check failed for a session-authenticated request.",
                    request.id,
                ),
            )
    return user, False, None


def _form_of(request, body: bytes) -> dict:
    """Return the url-encoded or multipart fields, for every unsafe method."""
    if request.method in UNSAFE and request.content_type == "multipart/form-data":
        # request.POST is only parsed for POST; parse PUT/PATCH/DELETE alike.
        fields, _files = request.parse_file_upload(request.META, BytesIO(body))
        return {k: fields.get(k) for k in fields}
    return form_of(request.method, request.META.get("CONTENT_TYPE", ""), body)


@csrf_exempt
async def script_route(request):
    user, via_token, problem = await _user_of(request)
    if problem is not None:
        return to_django(problem)
    role = None
    if user.is_authenticated and not user.is_superuser:
        role = await sync_to_async(role_of)(user, request.tenant)
    auth, user_info = auth_for(user, role)
    try:
        body = request.body  # read before any form parsing consumes the stream
        form = _form_of(request, body)
    except RequestDataTooBig:
        return to_django(
            HttpReply.error(
                413, "too_large", "The request body is too large.", request.id
            )
        )
    except MultiPartParserError as exc:
        return to_django(
            HttpReply.error(400, "bad_request", f"Malformed form: {exc}", request.id)
        )
    call = HttpCall(
        tenant=request.tenant,
        method=request.method,
        path=request.path_info,
        query={k: request.GET.get(k) for k in request.GET},
        headers=clean_headers(request.headers.items(), drop_authorization=via_token),
        body=body,
        form=form,
        auth=auth,
        user=user_info,
        request_id=request.id,
        secure=request.is_secure(),
        base_url=_base_url(request),
    )
    for app in overriding("serve_path"):  # paths an app serves itself (streams)
        response = await app.serve_path(request, call)
        if response is not None:
            return with_platform_headers(response, call)
    found = await find_route(call.tenant, call.method, call.path)
    if owns_nothing_at_root(call, found):
        return landing(request)  # a script's route for / wins over the page
    return to_django(await serve(call, found))


def with_platform_headers(response: HttpResponse, call: HttpCall) -> HttpResponse:
    """Give a response an app built (a stream) the headers of script replies."""
    reply = HttpReply(response.status_code, list(response.items()))
    add_platform_headers(reply, call.secure, call.headers.get("origin"))
    for name, value in reply.headers:
        response[name] = value
    response.drop_headers = _dropped(reply)
    return response


def _base_url(request) -> str:
    """scheme://host plus the script name and /t/<slug> prefix (meta.baseUrl)."""
    path, rest = request.path, request.path_info
    prefix = path[: len(path) - len(rest)] if rest and path.endswith(rest) else ""
    return f"{request.scheme}://{request.get_host()}{prefix}"
