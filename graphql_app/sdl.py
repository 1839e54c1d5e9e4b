"""Scripts' GraphQL fragments: each operation's SDL, parsed and checked by graphql-core.

A script registers an operation with a fragment of SDL that defines the
operation's one field on its root type, plus the types that field uses:

    type User { id: Int! name: String! }
    type Query { users: [User!]! }

A type a fragment uses is defined in it, built in, or defined by another
registration of the same script (graphql_app.merge.script_fragments gives
each fragment the types it borrows that way, then checks it); types of other
scripts are never borrowed. graphql_app.merge merges a tenant's fragments
into one schema.
Nothing here imports Django: problems are plain strings saying where.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    ExecutableDefinitionNode,
    FieldDefinitionNode,
    GraphQLSyntaxError,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    NameNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
    validate_schema,
)
from graphql.validation.validate import validate_sdl

# Operation kind -> the root type its field lives on.
ROOTS = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
BUILT_IN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})


@dataclass(frozen=True)
class Origin:
    """Where a fragment comes from: the script and the operation it registers."""

    script: str
    kind: str
    name: str

    def __str__(self):
        return f"script '{self.script}' ({self.kind} {self.name})"


class FragmentError(Exception):
    """A fragment that cannot be served; the message says what and where.

    str() is "<origin>: <problem>"; `problem` alone is what an upload's
    warning about that registration says after its own name.
    """

    def __init__(self, origin: Origin, problem: str):
        super().__init__(f"{origin}: {problem}")
        self.origin = origin
        self.problem = problem


@dataclass(frozen=True)
class Fragment:
    """One operation's SDL, checked: its root field and the types it defines."""

    origin: Origin
    root: str
    field: FieldDefinitionNode
    types: tuple  # type definition nodes, roots excluded


def parse_fragment(origin: Origin, sdl: str, standalone: bool = True) -> Fragment:
    """Parse and check one operation's SDL; raise FragmentError saying why not.

    With standalone=False the types it uses are not checked yet (they may
    come from the script's other registrations: check_fragment does it then).
    """
    root = ROOTS[origin.kind]
    try:
        document = parse(sdl)
    except GraphQLSyntaxError as exc:
        where = ""
        if exc.locations:
            line, column = exc.locations[0]
            where = f" (line {line}, column {column} of the SDL)"
        raise FragmentError(
            origin, f"the SDL does not parse: {exc.message}{where}"
        ) from None
    types, root_fields = [], []
    for definition in document.definitions:
        problem = _refused(definition, root, origin)
        if problem:
            raise FragmentError(origin, problem)
        if definition.name.value == root:
            root_fields.extend(definition.fields or ())
        else:
            types.append(definition)
    names = [f.name.value for f in root_fields]
    if origin.name not in names:
        found = f"defines {', '.join(names)} but not" if names else "must define"
        raise FragmentError(
            origin,
            f"the SDL {found} the field '{origin.name}' on {root}, "
            f"as in: type {root} {{ {origin.name}: ... }}",
        )
    if len(names) > 1:
        others = ", ".join(n for n in names if n != origin.name)
        raise FragmentError(
            origin,
            f"type {root} may define only the field '{origin.name}'; "
            f"register {others} with a call of its own",
        )
    fragment = Fragment(origin, root, root_fields[0], tuple(types))
    if standalone:
        check_fragment(fragment)
    return fragment


def check_fragment(fragment: Fragment) -> None:
    """Raise FragmentError if graphql-core finds the fragment wrong on its own."""
    problems = [
        f"{p} Define it in the registration's SDL or in another registration "
        "of the same script."
        if p.startswith("Unknown type")
        else p
        for p in _standalone_problems(fragment)
    ]
    if problems:
        raise FragmentError(fragment.origin, "; ".join(problems))


def used_names(node) -> set[str]:
    """The type names a definition (or a root field) refers to."""
    names = set()
    for field in getattr(node, "fields", None) or ():
        names.add(_named(field.type))
        for arg in getattr(field, "arguments", None) or ():
            names.add(_named(arg.type))
    for arg in getattr(node, "arguments", None) or ():  # a root field
        names.add(_named(arg.type))
    if isinstance(node, FieldDefinitionNode):
        names.add(_named(node.type))
    for named in getattr(node, "interfaces", None) or ():
        names.add(named.name.value)
    for named in getattr(node, "types", None) or ():  # a union's members
        names.add(named.name.value)
    return names


def _refused(definition, root: str, origin: Origin) -> str:
    """Say why a definition has no place in a fragment, or return ''."""
    if isinstance(definition, ExecutableDefinitionNode):
        return (
            "the SDL holds an operation or fragment; register type definitions "
            "only (run queries with executeGraphQL)"
        )
    if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
        return (
            "'schema { ... }' is not supported: the root types are Query, "
            "Mutation and Subscription"
        )
    if isinstance(definition, DirectiveDefinitionNode):
        return "directive definitions are not supported"
    name = definition.name.value
    if name in ROOTS.values():
        if name != root:
            return (
                f"a {origin.kind} defines one field of {root}, but the SDL "
                f"defines type {name}; register that operation with a call of "
                "its own"
            )
        if not isinstance(
            definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode
        ):
            return f"{root} must be an object type"
        return ""
    if isinstance(definition, TypeExtensionNode):
        return (
            f"'extend' of type {name} is not supported: define the whole type "
            "(types of the same name in the tenant's scripts are merged)"
        )
    if name in BUILT_IN_SCALARS:
        return f"{name} is a built-in scalar and cannot be defined again"
    return ""


def _standalone_problems(fragment: Fragment) -> list[str]:
    """What graphql-core finds wrong with the fragment as a schema of its own."""
    root = ObjectTypeDefinitionNode(
        name=NameNode(value=fragment.root), fields=(fragment.field,)
    )
    definitions = [*fragment.types, root]
    if fragment.root != "Query":
        # A schema needs a Query type; this one only lets the fragment be checked.
        definitions.append(placeholder_query())
    document = DocumentNode(definitions=tuple(definitions))
    errors = validate_sdl(document)
    if errors:
        return [e.message for e in errors]
    misplaced = _misplaced_types(definitions)
    if misplaced:
        return misplaced
    try:
        schema = build_ast_schema(document)
    except TypeError as exc:  # graphql-core's word for a type used where it cannot be
        return [str(exc)]
    return [e.message for e in validate_schema(schema)]


def _misplaced_types(definitions) -> list[str]:
    """Input types used as field types, and output types used as inputs.

    graphql-core refuses both while building, with a message that names
    neither the field nor the type; this one does.
    """
    inputs = {
        d.name.value
        for d in definitions
        if isinstance(d, InputObjectTypeDefinitionNode)
    }
    outputs = {
        d.name.value
        for d in definitions
        if isinstance(
            d,
            ObjectTypeDefinitionNode
            | InterfaceTypeDefinitionNode
            | UnionTypeDefinitionNode,
        )
    }
    problems = []
    for d in definitions:
        owner = d.name.value
        for field in getattr(d, "fields", None) or ():
            where = f"{owner}.{field.name.value}"
            if isinstance(d, InputObjectTypeDefinitionNode):
                named = _named(field.type)
                if named in outputs:
                    problems.append(
                        f"input field {where} has type {named}, which is not an "
                        "input type (use an input, enum or scalar)"
                    )
                continue
            named = _named(field.type)
            if named in inputs:
                problems.append(
                    f"field {where} has type {named}, an input type; a field "
                    "returns an object, interface, union, enum or scalar"
                )
            for arg in field.arguments or ():
                named = _named(arg.type)
                if named in outputs:
                    problems.append(
                        f"argument {arg.name.value} of {where} has type {named}, "
                        "which is not an input type (use an input, enum or scalar)"
                    )
    return problems


def _named(type_node) -> str:
    while not hasattr(type_node, "name"):
        type_node = type_node.type
    return type_node.name.value


def placeholder_query():
    """`type Query { placeholder: Boolean }`: graphql-core builds no schema without one."""
    return parse("type Query { placeholder: Boolean }").definitions[0]
