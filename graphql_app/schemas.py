"""Each tenant's GraphQL schema: the platform's fields plus its scripts' operations.

The schema a caller sees depends on where the query comes from (visibility):

- /graphql: the platform's fields and every script's `external` operations;
- executeGraphQL from script S: the platform's fields, every `external` and
  `engine` operation of the tenant, and S's own `internal` ones.

Each is built once per change and cached: the platform's schema is
graphene's (graphql_app.schema), the scripts' part is their SDL fragments
merged (graphql_app.merge) and built by graphql-core, and the two are joined
by making Query, Mutation and Subscription types holding the fields of both
(uploads keep their names apart). A script field resolves by running its
script's resolver (graphql_app.resolvers).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from graphql import GraphQLField, GraphQLObjectType, GraphQLSchema

from graphql_app.merge import ScriptFragments, script_fragments
from graphql_app.sdl import BUILT_IN_SCALARS, ROOTS
from scripts_app.routing import RouteTarget
from tenants.resolve import CachedSnapshot

log = logging.getLogger(__name__)

EXTERNAL, ENGINE, INTERNAL = "external", "engine", "internal"


@dataclass(frozen=True)
class Operation:
    """A stored registration of an enabled script's current version."""

    script_id: int
    script_name: str
    version: int
    capabilities: tuple
    kind: str
    name: str
    sdl: str
    handler: str
    visibility: str

    def target(self) -> RouteTarget:
        return RouteTarget(
            self.script_id,
            self.script_name,
            self.version,
            self.handler,
            f"GraphQL {self.kind} {self.name}",
            capabilities=self.capabilities,
        )


def platform_schema() -> GraphQLSchema:
    from graphql_app.schema import schema

    return schema.graphql_schema


@functools.cache
def platform_names() -> tuple[frozenset, frozenset]:
    """The platform schema's type names and (root, field) pairs, kept from scripts."""
    platform = platform_schema()
    types = frozenset(
        name
        for name in platform.type_map
        if not name.startswith("__")
        and name not in BUILT_IN_SCALARS
        and name not in ROOTS.values()
    )
    fields = frozenset(
        (root.name, field)
        for root in (platform.query_type, platform.mutation_type)
        if root is not None
        for field in root.fields
    )
    return types, fields


@functools.lru_cache(maxsize=1024)
def fragments_of(script_name: str, entries: tuple) -> ScriptFragments:
    """Parse a script's stored fragments ((kind, name, sdl) each) as one set.

    Cached: the result depends on nothing but the arguments.
    """
    return script_fragments(script_name, entries)


class OperationDirectory(CachedSnapshot):
    """tenant id -> its scripts' operations, and the schemas built from them.

    Reloaded when 'graphql' moves (a save or delete of a script that has or had
    operations bumps it: scripts_app.signals), so an upload, a delete or an
    enable/disable reaches every process as routes do;
    schemas are then built again on first use.
    """

    counter = "graphql"

    def __init__(self):
        super().__init__()
        self.operations: dict[int, list[Operation]] = {}
        self._schemas: dict = {}
        self.loads = 0  # moves on every load (subscribers are re-checked then)

    def load(self):
        from graphql_app.models import GraphQLOperation

        operations: dict[int, list[Operation]] = {}
        rows = (
            GraphQLOperation.objects.filter(script__enabled=True)
            .order_by("script__name", "id")  # as uploads merge them
            .values_list(
                "tenant_id",
                "script_id",
                "script__name",
                "script__version",
                "script__capabilities",
                "kind",
                "name",
                "sdl",
                "handler",
                "visibility",
            )
        )
        for tenant_id, *fields in rows:
            fields[3] = tuple(fields[3] or ())
            operations.setdefault(tenant_id, []).append(Operation(*fields))
        self.operations = operations
        self._schemas = {}
        self.loads += 1

    def schema_for(self, tenant_id: int, script_id: int | None = None) -> GraphQLSchema:
        """The schema of /graphql (no script_id), or of executeGraphQL from a script."""
        schemas, every = self._schemas, self.operations.get(tenant_id, [])
        if script_id is None:
            key = (tenant_id, EXTERNAL)
            visible = [op for op in every if op.visibility == EXTERNAL]
        else:
            own = any(
                op.script_id == script_id and op.visibility == INTERNAL for op in every
            )
            # Scripts without internal operations all see the same schema.
            key = (tenant_id, script_id if own else ENGINE)
            visible = [
                op
                for op in every
                if op.visibility != INTERNAL or op.script_id == script_id
            ]
        found = schemas.get(key)
        if found is None:
            found = schemas[key] = build(visible, every)
        return found


_directory = OperationDirectory()


def directory() -> OperationDirectory:
    return _directory


def build(
    operations: list[Operation], every: list[Operation] | None = None
) -> GraphQLSchema:
    """Join the platform's schema and these operations' merged fragments.

    `every` holds all the operations of their scripts (default: these): a
    fragment may use the types of its script's other registrations, visible
    to this caller or not; only the types it uses come with it.
    Uploads refuse fragments that clash, so all of them normally merge; one
    that does not (say, stored before a stricter check) is left out and logged
    rather than taking the tenant's whole schema down.
    """
    from graphql_app.registry import platform_merger

    per_script: dict[int, list] = {}
    for op in operations if every is None else every:
        per_script.setdefault(op.script_id, []).append((op.kind, op.name, op.sdl))
    merger = platform_merger()
    served: dict[tuple[str, str], Operation] = {}
    for op in operations:
        parsed = fragments_of(op.script_name, tuple(per_script[op.script_id]))
        fragment = parsed.fragments.get((op.kind, op.name))
        if fragment is None:
            log.warning(
                "GraphQL %s %s is not served: %s",
                op.kind,
                op.name,
                "; ".join(parsed.clashes + parsed.invalid),
            )
            continue
        problems = merger.add(fragment)
        if problems:
            log.warning(
                "GraphQL %s %s is not served: %s", op.kind, op.name, "; ".join(problems)
            )
            continue
        served[(fragment.root, op.name)] = op
    try:
        scripts = merger.schema()
    except (TypeError, ValueError):
        log.exception("The scripts' GraphQL schema does not build; serving none of it")
        scripts, served = None, {}
    return combine(platform_schema(), scripts, served)


def combine(
    platform: GraphQLSchema,
    scripts: GraphQLSchema | None,
    served: dict[tuple[str, str], Operation],
) -> GraphQLSchema:
    """A schema whose root types hold the platform's fields and the served ones."""
    from graphql_app.resolvers import resolver_for

    def root(name: str, own, theirs):
        fields = dict(own.fields) if own is not None else {}
        for field_name, field in (theirs.fields if theirs is not None else {}).items():
            op = served.get((name, field_name))
            if op is None:
                continue  # the placeholder Query of a schema without queries
            fields[field_name] = GraphQLField(
                field.type,
                args=field.args,
                resolve=resolver_for(op),
                description=field.description,
                deprecation_reason=field.deprecation_reason,
                ast_node=field.ast_node,
            )
        if not fields:
            return None
        description = own.description if own is not None else None
        return GraphQLObjectType(name, fields, description=description)

    def of(schema, attribute):
        return getattr(schema, attribute) if schema is not None else None

    # Types reached only as an interface's implementations are not found from
    # the roots; name every type of the scripts' part.
    types = [
        named
        for name, named in (scripts.type_map.items() if scripts is not None else ())
        if not name.startswith("__")
        and name not in ROOTS.values()
        and name not in BUILT_IN_SCALARS
    ]
    return GraphQLSchema(
        query=root("Query", platform.query_type, of(scripts, "query_type")),
        mutation=root("Mutation", platform.mutation_type, of(scripts, "mutation_type")),
        subscription=root(
            "Subscription",
            platform.subscription_type,
            of(scripts, "subscription_type"),
        ),
        types=types,
    )
