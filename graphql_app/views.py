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
(graphql_app.execution), within the cost limits of graphql_app.limits.

Errors here keep GraphQL's envelope, since GraphQL clients read `errors`:
{"errors": [{"message", "extensions": {"code", "requestId"}}]}, the platform
error's fields in GraphQL's shape. A body that is not a JSON object, or is
JSON nested too deeply (core.json_input), is 400 `bad_request`; a query over a
cost limit, or a result over GRAPHQL_MAX_RESULT_BYTES, is 400 with the
limit's code, like any request error that leaves no data.
"""

import json

from asgiref.sync import async_to_sync
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt
from graphene_django.settings import graphene_settings
from graphene_django.views import HttpError
from graphene_django_graphiql_static.views import GraphiQLOfflineView
from graphql import ExecutionResult, GraphQLError, OperationType, get_operation_ast
from rest_framework import exceptions

from core.conf import scripts_setting
from core.json_input import loads
from graphql_app import limits
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
        # on /system/api/; token clients send none.
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
        try:
            return super().dispatch(request, *args, **kwargs)
        except BadRequest as exc:
            return _errors(request, 400, "bad_request", str(exc))

    def parse_body(self, request):
        # graphene's, with the JSON nesting bounded: its json.loads let the
        # RecursionError of 100,000 nested brackets through (an HTML 500).
        content_type = self.get_content_type(request)
        if content_type == "application/graphql":
            try:
                return {"query": request.body.decode("utf-8")}
            except UnicodeDecodeError:
                raise BadRequest("The query is not UTF-8 text.") from None
        if content_type != "application/json":
            return super().parse_body(request)
        try:
            body = loads(request.body)
        except ValueError as exc:
            raise BadRequest(f"The body is not usable JSON: {exc}") from None
        if not isinstance(body, dict):
            raise BadRequest(
                "The body must be a JSON object: {query, variables, operationName}."
            )
        return body

    @staticmethod
    def get_graphql_params(request, data):
        query = request.GET.get("query") or data.get("query")
        if query is not None and not isinstance(query, str):
            raise BadRequest("query must be a string.")
        variables = request.GET.get("variables") or data.get("variables")
        if isinstance(variables, str):
            try:
                variables = loads(variables)
            except ValueError as exc:
                raise BadRequest(f"variables are not usable JSON: {exc}") from None
        if variables is not None and not isinstance(variables, dict):
            raise BadRequest("variables must be a JSON object.")
        operation_name = request.GET.get("operationName") or data.get("operationName")
        if operation_name == "null":
            operation_name = None
        return query, variables, operation_name, None

    def get_response(self, request, data, show_graphiql=False):
        result, status = super().get_response(request, data, show_graphiql)
        # The exact size of what would be sent (execution stops early on most
        # results over the limit, see limits.BoundedExecutionContext).
        if result is not None and len(result) > scripts_setting(
            "GRAPHQL_MAX_RESULT_BYTES"
        ):
            return json.dumps(limits.too_large_body()), 400
        return result, status

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
            document = limits.parsed(query)
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
        errors = limits.validated(
            tenant_schema,
            document,
            rules=self.validation_rules,
            max_errors=graphene_settings.MAX_VALIDATION_ERRORS,
        )
        if errors:
            return ExecutionResult(data=None, errors=errors)
        return async_to_sync(execute_document)(
            tenant_schema, document, variables, operation_name, http_caller(request)
        )


class BadRequest(Exception):
    """A request body or parameter that cannot be a GraphQL request: 400."""


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
