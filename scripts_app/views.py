"""The catch-all view (mounted last): serve script routes through the runner."""

from asgiref.sync import sync_to_async
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authtoken.models import Token

from scripts_app.runner import HttpCall, HttpReply, auth_for, clean_headers, serve
from tenants.models import role_of

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def to_django(reply: HttpReply) -> HttpResponse:
    response = HttpResponse(reply.body, status=reply.status)
    for name, value in reply.headers:
        response[name] = value
    return response


async def _user_of(request):
    """Return (user, via_token, error reply)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Token "):
        key = header[6:].strip()
        token = await Token.objects.select_related("user").filter(key=key).afirst()
        if token is None or not token.user.is_active:
            return (
                None,
                True,
                HttpReply.error(401, "not_authenticated", "Invalid token.", request.id),
            )
        return token.user, True, None
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


@csrf_exempt
async def script_route(request):
    user, via_token, problem = await _user_of(request)
    if problem is not None:
        return to_django(problem)
    role = None
    if user is not None and user.is_authenticated and not user.is_superuser:
        role = await sync_to_async(role_of)(user, request.tenant)
    auth, user_info = auth_for(user, role)
    form = {}
    if request.method in UNSAFE and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = {k: request.POST.get(k) for k in request.POST}
    call = HttpCall(
        tenant=request.tenant,
        method=request.method,
        path=request.path_info,
        query={k: request.GET.get(k) for k in request.GET},
        headers=clean_headers(request.headers.items(), drop_authorization=via_token),
        body=request.body,
        form=form,
        auth=auth,
        user=user_info,
        request_id=request.id,
    )
    return to_django(await serve(call))
