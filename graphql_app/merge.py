"""Merge a tenant's GraphQL fragments (graphql_app.sdl) into one schema.

- root fields (Query.users, Mutation.createUser, ...) are unique in the tenant;
- object types of the same name are merged field by field, so the seed's
  `User { id name email }` (users) and `User { id name email createdAt }`
  (createUser) make one `User` with four fields; a field defined twice must
  have the same type and arguments;
- every other kind of type (enum, input, interface, union, scalar) must be
  defined identically wherever it appears (descriptions aside; the order of
  enum values and input fields does not matter).

A clash is reported as a string naming both fragments' scripts and operations.

The same rules hold inside one script (script_fragments): the types of all
its registrations form one set, so a type defined once (`type Book` in a
query's SDL) may be used by every registration of the script (a mutation
returning `Book`); each fragment then carries the types it borrows, and is
merged with the tenant's other fragments like any other.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    EnumTypeDefinitionNode,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    NameNode,
    Node,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    print_ast,
)

from graphql_app.sdl import (
    BUILT_IN_SCALARS,
    ROOTS,
    Fragment,
    FragmentError,
    Origin,
    check_fragment,
    parse_fragment,
    placeholder_query,
    used_names,
)

_KIND_NAMES = {
    ObjectTypeDefinitionNode: "an object type",
    InterfaceTypeDefinitionNode: "an interface",
    UnionTypeDefinitionNode: "a union",
    EnumTypeDefinitionNode: "an enum",
    InputObjectTypeDefinitionNode: "an input type",
    ScalarTypeDefinitionNode: "a scalar",
}
_SHOWN_CHARS = 160  # of a definition quoted in a message


@dataclass
class _Type:
    node: object  # the first definition seen
    origin: Origin
    fields: dict  # object types: field name -> (FieldDefinitionNode, Origin)


class Merger:
    """Merge fragments one by one; a fragment that clashes is left out whole.

    `taken_types` and `taken_fields` ({name: owner} and {(root, field):
    owner}) are names held by someone else (the platform's own schema).
    """

    def __init__(self, taken_types=None, taken_fields=None):
        self.taken_types = dict(taken_types or {})
        self.taken_fields = dict(taken_fields or {})
        self.types: dict[str, _Type] = {}
        self.roots: dict[str, dict[str, Fragment]] = {r: {} for r in ROOTS.values()}

    def add(self, fragment: Fragment) -> list[str]:
        """Merge the fragment; return its clashes (then nothing of it is kept)."""
        problems = []
        field = fragment.field.name.value
        owner = self.taken_fields.get((fragment.root, field))
        if owner:
            problems.append(
                f"{fragment.root}.{field} of {fragment.origin} is a field of "
                f"{owner}; choose another name"
            )
        elif field in self.roots[fragment.root]:
            other = self.roots[fragment.root][field].origin
            problems.append(
                f"{fragment.root}.{field} is registered by {other} and again by "
                f"{fragment.origin}"
            )
        for node in fragment.types:
            problems.extend(self._clashes(node, fragment.origin))
        if problems:
            return problems
        self.roots[fragment.root][field] = fragment
        for node in fragment.types:
            self._keep(node, fragment.origin)
        return []

    def _clashes(self, node, origin: Origin) -> list[str]:
        name = node.name.value
        owner = self.taken_types.get(name)
        if owner:
            return [f"type {name} of {origin} is a type of {owner}; rename it"]
        known = self.types.get(name)
        if known is None:
            return []
        if type(known.node) is not type(node):
            return [
                f"type {name} is {_KIND_NAMES[type(known.node)]} in {known.origin} "
                f"but {_KIND_NAMES[type(node)]} in {origin}"
            ]
        if not isinstance(node, ObjectTypeDefinitionNode):
            if shape(known.node) == shape(node):
                return []
            return [
                f"type {name} is defined differently in {known.origin} "
                f"({_shown(known.node)}) and in {origin} ({_shown(node)})"
            ]
        problems = []
        if _interfaces(known.node) != _interfaces(node):
            problems.append(
                f"type {name} implements {_listed(_interfaces(known.node))} in "
                f"{known.origin} but {_listed(_interfaces(node))} in {origin}"
            )
        for field in node.fields or ():
            seen = known.fields.get(field.name.value)
            if seen is not None and shape(seen[0]) != shape(field):
                problems.append(
                    f"field {name}.{field.name.value} is '{shape(seen[0])}' in "
                    f"{seen[1]} but '{shape(field)}' in {origin}"
                )
        return problems

    def _keep(self, node, origin: Origin) -> None:
        name = node.name.value
        known = self.types.get(name)
        if known is None:
            known = self.types[name] = _Type(node, origin, {})
        if isinstance(node, ObjectTypeDefinitionNode):
            for field in node.fields or ():
                known.fields.setdefault(field.name.value, (field, origin))

    def document(self) -> DocumentNode | None:
        """The merged SDL, or None when no fragment was merged."""
        definitions = []
        for known in self.types.values():
            node = known.node
            if isinstance(node, ObjectTypeDefinitionNode):
                node = copy.copy(node)
                node.fields = tuple(field for field, _ in known.fields.values())
            definitions.append(node)
        for root, fields in self.roots.items():
            if fields:
                definitions.append(
                    ObjectTypeDefinitionNode(
                        name=NameNode(value=root),
                        interfaces=(),
                        directives=(),
                        fields=tuple(f.field for f in fields.values()),
                    )
                )
        if not any(self.roots.values()):
            return None
        return DocumentNode(definitions=tuple(definitions))

    def schema(self) -> GraphQLSchema | None:
        """Build the merged SDL with graphql-core (None when empty)."""
        document = self.document()
        if document is None:
            return None
        if not self.roots["Query"]:
            # graphql-core needs a Query type to build; the platform supplies
            # the real one (graphql_app.schemas.combine drops this).
            document = DocumentNode(
                definitions=(*document.definitions, placeholder_query())
            )
        return build_ast_schema(document)


@dataclass
class ScriptFragments:
    """One script's registrations, each with the types it uses from the others.

    `fragments` maps (kind, name) to the fragment of each registration that
    can be served; `invalid` and `clashes` say why the others cannot, and
    `refused` says it per registration: (kind, name, problem) each.
    """

    fragments: dict
    invalid: list
    clashes: list
    refused: list


def script_fragments(script: str, entries) -> ScriptFragments:
    """Parse a script's registrations ((kind, name, sdl) each) as one set of types.

    A type defined by one registration may be used by any other; defined by
    several, the definitions must agree as across scripts (object types merge
    field by field), else the later registration is left out with a clash
    naming the type and both registrations.
    """
    parsed, invalid, clashes, refused = [], [], [], []
    for kind, name, sdl in entries:
        try:
            parsed.append(parse_fragment(Origin(script, kind, name), sdl, False))
        except FragmentError as exc:
            invalid.append(str(exc))
            refused.append((kind, name, exc.problem))
    pool = Merger()
    kept = []
    for fragment in parsed:
        problems = pool.add(fragment)
        if problems:
            clashes.extend(problems)
            origin = fragment.origin
            refused.append((origin.kind, origin.name, "; ".join(problems)))
        else:
            kept.append(fragment)
    merged = pool.document()
    shared = {
        node.name.value: node
        for node in (merged.definitions if merged is not None else ())
    }
    fragments = {}
    for fragment in kept:
        complete = _with_borrowed_types(fragment, shared)
        try:
            check_fragment(complete)
        except FragmentError as exc:
            invalid.append(str(exc))
            refused.append((fragment.origin.kind, fragment.origin.name, exc.problem))
            continue
        fragments[(fragment.origin.kind, fragment.origin.name)] = complete
    return ScriptFragments(fragments, invalid, clashes, refused)


def _with_borrowed_types(fragment: Fragment, shared: dict) -> Fragment:
    """The fragment plus the script's types it uses but does not define.

    Types reached from its root field and its own types are added, with the
    object types of the script that implement an interface so reached.
    """
    own = {node.name.value: node for node in fragment.types}
    borrowed: dict = {}
    todo = [fragment.field, *own.values()]
    while todo:
        node = todo.pop()
        names = used_names(node)
        if isinstance(node, InterfaceTypeDefinitionNode):
            interface = node.name.value
            names |= {
                other.name.value
                for other in shared.values()
                if interface in _interfaces(other)
            }
        for name in names:
            if name in own or name in borrowed or name in BUILT_IN_SCALARS:
                continue
            found = shared.get(name)
            if found is None or name in ROOTS.values():
                continue  # unknown: check_fragment says so
            borrowed[name] = found
            todo.append(found)
    if not borrowed:
        return fragment
    return Fragment(
        fragment.origin,
        fragment.root,
        fragment.field,
        (*fragment.types, *borrowed.values()),
    )


def shape(node) -> str:
    """A definition as one line of SDL, without descriptions, members in order."""
    bare = copy.deepcopy(node)
    stack = [bare]
    while stack:
        item = stack.pop()
        if hasattr(item, "description"):
            item.description = None
        for key in item.keys:
            value = getattr(item, key, None)
            if isinstance(value, Node):
                stack.append(value)
            elif isinstance(value, list | tuple):
                stack.extend(v for v in value if isinstance(v, Node))
    if isinstance(bare, EnumTypeDefinitionNode):
        bare.values = tuple(sorted(bare.values or (), key=lambda v: v.name.value))
    if isinstance(bare, InputObjectTypeDefinitionNode):
        bare.fields = tuple(sorted(bare.fields or (), key=lambda f: f.name.value))
    return " ".join(print_ast(bare).split())


def _shown(node) -> str:
    text = shape(node)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _interfaces(node) -> list[str]:
    return sorted(i.name.value for i in getattr(node, "interfaces", None) or ())


def _listed(names: list[str]) -> str:
    return ", ".join(names) if names else "no interface"
