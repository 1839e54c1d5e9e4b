"""The document store in the platform's GraphQL schema (/graphql).

    entities(collection: String!, filter: String, pageSize: Int, offset: Int): [StoreEntity!]
    entity(uri: String!): StoreEntity
    putEntity(uri: String!, body: JSONString!): StoreWrite
    postEntities(collection: String!, entities: JSONString!): StoreWrite
    patchEntity(uri: String!, patch: JSONString!): StoreWrite
    deleteEntity(uri: String!): StoreWrite

Writes are store requests like REST's: the collection's triggers run, and a
refusal comes back as `success: false` with the status and message (a
cancelled request: 422 and the script's message). Reads and writes take the
REST API's roles.
"""

from __future__ import annotations

import graphene
from asgiref.sync import sync_to_async
from graphql import GraphQLError

from documents_app import pipeline, store
from graphql_app.access import readable_tenant, writable_tenant
from graphql_app.schema import off_loop


class StoreEntity(graphene.ObjectType):
    """One entity of the tenant's document store."""

    uri = graphene.String(required=True)
    collection = graphene.String(required=True)
    body = graphene.JSONString(required=True, description="The entity, as stored.")
    version = graphene.Int(required=True, description="How many writes it has had.")


def _bad(exc: store.StoreError) -> GraphQLError:
    return GraphQLError(exc.message, extensions={"code": exc.code})


class StoreQuery(graphene.ObjectType):
    entities = graphene.List(
        graphene.NonNull(StoreEntity),
        collection=graphene.String(required=True, description="'/assets' or 'assets'."),
        filter=graphene.String(description="field=value terms joined by ':'."),
        page_size=graphene.Int(),
        offset=graphene.Int(default_value=0),
        description="A page of a collection, by uri (as GET /store/<collection>).",
    )
    entity = graphene.Field(
        StoreEntity,
        uri=graphene.String(required=True),
        description="One entity, or null when there is none at the uri.",
    )

    @staticmethod
    @off_loop
    def resolve_entities(root, info, collection, filter="", page_size=None, offset=0):
        tenant = readable_tenant(info)
        try:
            uri = store.parse_uri("/" + collection.strip("/"))
            if not uri.is_collection:
                raise store.bad(f"'{collection}' is an entity's uri, not a collection")
            rows, _ = store.query(tenant, uri, filter or "", page_size, offset)
        except store.StoreError as exc:
            raise _bad(exc) from None
        return rows

    @staticmethod
    @off_loop
    def resolve_entity(root, info, uri):
        tenant = readable_tenant(info)
        try:
            parsed = store.parse_uri(uri)
        except store.StoreError as exc:
            raise _bad(exc) from None
        return None if parsed.is_collection else store.get(tenant, parsed)


class StoreWrite(graphene.ObjectType):
    success = graphene.Boolean(required=True)
    status = graphene.Int(required=True, description="The REST API's status code.")
    message = graphene.String(description="Why it was refused.")
    code = graphene.String(description="The REST API's error code when refused.")
    body = graphene.JSONString(
        description="What REST answers: the stored entity or entities."
    )


async def _write(info, method: str, uri: str, body) -> StoreWrite:
    tenant, user = await sync_to_async(writable_tenant)(info)
    try:
        request = pipeline.StoreRequest(
            tenant=tenant,
            method=method,
            uri=store.parse_uri(uri),
            user=user,
            body=body,
            request_id=getattr(info.context, "id", "") or "",
        )
        response = await pipeline.handle(request)
    except store.StoreError as exc:
        return StoreWrite(
            success=False, status=exc.status, message=exc.message, code=exc.code
        )
    response.start_after()
    return StoreWrite(success=True, status=response.status, body=response.body)


class PutEntity(graphene.Mutation):
    class Arguments:
        uri = graphene.String(required=True)
        body = graphene.JSONString(required=True)

    Output = StoreWrite

    @staticmethod
    async def mutate(root, info, uri, body):
        return await _write(info, "PUT", uri, body)


class PostEntities(graphene.Mutation):
    class Arguments:
        collection = graphene.String(required=True)
        entities = graphene.JSONString(
            required=True, description="One entity or an array."
        )

    Output = StoreWrite

    @staticmethod
    async def mutate(root, info, collection, entities):
        return await _write(info, "POST", "/" + collection.strip("/"), entities)


class PatchEntity(graphene.Mutation):
    class Arguments:
        uri = graphene.String(required=True)
        patch = graphene.JSONString(
            required=True, description="A JSON Patch (RFC 6902)."
        )

    Output = StoreWrite

    @staticmethod
    async def mutate(root, info, uri, patch):
        return await _write(info, "PATCH", uri, patch)


class DeleteEntity(graphene.Mutation):
    class Arguments:
        uri = graphene.String(required=True)

    Output = StoreWrite

    @staticmethod
    async def mutate(root, info, uri):
        return await _write(info, "DELETE", uri, None)


class StoreMutation(graphene.ObjectType):
    put_entity = PutEntity.Field()
    post_entities = PostEntities.Field()
    patch_entity = PatchEntity.Field()
    delete_entity = DeleteEntity.Field()
