"""A small GraphQL reader for the Shopify fake: selections and Shopify's documented query cost.

Cost rules (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits, "Cost calculation"):
a scalar or enum costs 0, an object 1, and a connection 2 plus ``first`` (or ``last``)
times the cost of one returned object; the query's cost is the sum of its root fields. A
single query may cost at most 1,000 points ("Query cost is N, which exceeds the single
query max cost limit (1000)", extensions code ``MAX_COST_EXCEEDED``).

Only what our connector sends is supported: one operation, fields, aliases, arguments with
variables/literals, nested selections. No fragments, directives or mutations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MAX_QUERY_COST = 1000
_TOKEN = re.compile(
    r'\s*(?:(\.\.\.)|([{}():,$!\[\]=@])|("(?:[^"\\]|\\.)*")|([A-Za-z_][\w]*)|(-?\d+(?:\.\d+)?))'
)


class GraphQLSyntaxError(ValueError):
    """The fake cannot read this query."""


@dataclass
class Field:
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    children: list[Field] = field(default_factory=list)

    def child(self, name: str) -> Field | None:
        return next((c for c in self.children if c.name == name), None)

    def find(self, name: str) -> list[Field]:
        """Every descendant field called ``name``."""
        out = []
        for c in self.children:
            if c.name == name:
                out.append(c)
            out.extend(c.find(name))
        return out


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = re.sub(r"#[^\n]*", "", text)
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise GraphQLSyntaxError(f"unexpected character at {pos}: {text[pos : pos + 10]!r}")
        out.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str, variables: dict[str, Any]) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.variables = variables
        self.operation = "query"

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise GraphQLSyntaxError(f"expected {expected!r}, got {tok!r}")
        self.i += 1
        return tok

    def document(self) -> list[Field]:
        if self.peek() in ("query", "mutation"):
            self.operation = self.take()
            if self.peek() not in ("{", "("):
                self.take()  # operation name
            if self.peek() == "(":  # variable definitions: skip
                depth = 0
                while True:
                    tok = self.take()
                    depth += tok == "("
                    depth -= tok == ")"
                    if depth == 0:
                        break
        elif self.peek() != "{":
            raise GraphQLSyntaxError("only queries are supported by the fake")
        return self.selection()

    def selection(self) -> list[Field]:
        self.take("{")
        fields = []
        while self.peek() != "}":
            fields.append(self.field())
        self.take("}")
        return fields

    def field(self) -> Field:
        name = self.take()
        if self.peek() == ":":  # alias
            self.take(":")
            name = self.take()
        f = Field(name)
        if self.peek() == "(":
            self.take("(")
            while self.peek() != ")":
                arg = self.take()
                self.take(":")
                f.args[arg] = self.value()
                if self.peek() == ",":
                    self.take(",")
            self.take(")")
        if self.peek() == "{":
            f.children = self.selection()
        return f

    def value(self) -> Any:
        tok = self.take()
        if tok == "$":
            return self.variables.get(self.take())
        if tok == "{":  # input object literal
            obj = {}
            while self.peek() != "}":
                key = self.take()
                self.take(":")
                obj[key] = self.value()
                if self.peek() == ",":
                    self.take(",")
            self.take("}")
            return obj
        if tok.startswith('"'):
            return tok[1:-1]
        if re.fullmatch(r"-?\d+", tok):
            return int(tok)
        return tok  # enum or true/false/null


def parse(query: str, variables: dict[str, Any] | None = None) -> list[Field]:
    """The root fields of ``query`` with variables substituted."""
    return parse_operation(query, variables)[1]


def parse_operation(query: str, variables: dict[str, Any] | None = None) -> tuple[str, list[Field]]:
    """(``"query"`` or ``"mutation"``, root fields)."""
    parser = _Parser(query, dict(variables or {}))
    roots = parser.document()
    return parser.operation, roots


MUTATION_COST = 10  # "Mutations have a default cost of 10" (the same rate-limits page)


def _item_cost(f: Field) -> int:
    """Cost of one element of a connection: its ``nodes``/``edges.node`` object."""
    total = 0
    for c in f.children:
        if c.name == "nodes":
            total += field_cost(c)
        elif c.name == "edges":
            node = c.child("node")
            total += field_cost(node) if node else 0
    return total


def field_cost(f: Field) -> int:
    """Shopify's requested cost of one field (scalars 0, objects 1, connections 2 + n × item)."""
    if not f.children:
        return 0
    size = f.args.get("first", f.args.get("last"))
    if isinstance(size, int):
        return 2 + size * _item_cost(f)
    return 1 + sum(field_cost(c) for c in f.children)


def query_cost(roots: list[Field], operation: str = "query") -> int:
    if operation == "mutation":
        return MUTATION_COST * len(roots)
    return sum(field_cost(f) for f in roots)
