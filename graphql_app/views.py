"""/graphql: graphene-django's view, authenticated like the REST API.

GET and POST run queries (mutations only over POST); a browser asking for
text/html gets GraphiQL, whose React and GraphiQL assets come from the
graphene-django-graphiql-static package through /static/, so it works with
no internet. A bad token answers 401 and a session POST without a CSRF token
403, both as {"errors": [...]} with the REST API's message and code; a request
with no credentials runs, and each platform field then answers the GraphQL
error "Authentication required" (so anything public in the schema stays
reachable).

The schema is the request's tenant's (graphql_app.schemas): the platform's
fields and its scripts' `external` operations, executed asynchronously
(graphql_app.execution).
"""

import json

from asgiref.sync import async_to_sync
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt
from graphene_django.settings import graphene_settings
from graphene_django.views import HttpError
from graphene_django_graphiql_static.views import GraphiQLOfflineView
from graphql import (
    ExecutionResult,
    GraphQLError,
    OperationType,
    get_operation_ast,
    parse,
    validate,
)
from rest_framework import exceptions

from graphql_app.access import authenticate, refusal
from graphql_app.execution import Caller, execute_document
from graphql_app.schema import schema
from graphql_app.schemas import directory
from scripts_app.http import auth_for, clean_headers
from tenants.models import role_of


class PlatformGraphQLView(GraphiQLOfflineView):
    graphiql_template = "graphql_app/graphiql.html"
    schema = schema
    graphiql = True

    @classmethod
    def as_view(cls, **initkwargs):
        # CSRF is enforced by DRF's SessionAuthentication, for sessions only, as
        # on /api/; token clients send none.
        return csrf_exempt(super().as_view(**initkwargs))

    def dispatch(self, request, *args, **kwargs):
        try:
            request.body  # noqa: B018 - kept, so every reader below gets it
        except RequestDataTooBig:
            return _errors(
                request,
                413,
                "too_large",
                "The request body is larger than the server accepts "
                "(Django's DATA_UPLOAD_MAX_MEMORY_SIZE).",
            )
        try:
            request.user = authenticate(request)
        except exceptions.APIException as exc:
            status, body, headers = refusal(request, exc)
            return _json(body, status, headers)
        return super().dispatch(request, *args, **kwargs)

    def execute_graphql_request(
        self, request, data, query, variables, operation_name, show_graphiql=False
    ):
        # graphene-django's steps, with the tenant's schema and async execution.
        if not query:
            if show_graphiql:
                return None
            raise HttpError(HttpResponseBadRequest("Must provide query string."))
        operations = directory()
        operations.refresh_sync()
        tenant_schema = operations.schema_for(request.tenant.id)
        try:
            document = parse(query)
        except GraphQLError as exc:
            return ExecutionResult(errors=[exc])
        operation = get_operation_ast(document, operation_name)
        if (
            request.method == "GET"
            and operation is not None
            and operation.operation != OperationType.QUERY
        ):
            if show_graphiql:
                return None
            raise HttpError(
                HttpResponseNotAllowed(
                    ["POST"],
                    f"Can only perform a {operation.operation.value} operation "
                    "from a POST request.",
                )
            )
        errors = validate(
            tenant_schema,
            document,
            self.validation_rules,
            graphene_settings.MAX_VALIDATION_ERRORS,
        )
        if errors:
            return ExecutionResult(data=None, errors=errors)
        return async_to_sync(execute_document)(
            tenant_schema, document, variables, operation_name, http_caller(request)
        )


def http_caller(request) -> Caller:
    """The Caller of a /graphql request: its user, as script fields see them."""
    auth, user_info = auth_for(request.user, role_of(request.user, request.tenant))
    return Caller(
        tenant=request.tenant,
        user=request.user,
        auth=auth,
        user_info=user_info,
        request={
            "method": request.method,
            "path": request.path_info,
            "query": {k: request.GET.get(k) for k in request.GET},
            "form": {},
            "headers": clean_headers(request.headers.items(), drop_authorization=True),
            "body": "",
            "params": {},
            "auth": auth,
        },
        via="http",
    )


def _json(body, status, headers=None):
    response = HttpResponse(
        json.dumps(body), status=status, content_type="application/json"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _errors(request, status, code, message):
    extensions = {"code": code, "requestId": getattr(request, "id", None)}
    return _json({"errors": [{"message": message, "extensions": extensions}]}, status)
