"""The walker behind :func:`pgmanager.parse.references`: one handler per statement kind, PL/pgSQL bodies
read through their embedded queries (the scopes and helpers are in ``_scope``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pglast
from pglast import ast

from ._names import dotted, qualify, rangevar_name
from ._predicates import VARIABLE, conditions, sort_keys
from ._scope import (
    ASSIGN,
    LEAVES,
    Predicate,
    References,
    Scope,
    SortKey,
    children,
    deparse,
    option,
    plpgsql_queries,
    plpgsql_variables,
    split_statements,
    sval,
)


class Collector:
    def __init__(self) -> None:
        self.reads: dict[str, None] = {}
        self.writes: dict[str, None] = {}
        self.mentions: dict[str, None] = {}
        self.cols_read: dict[tuple[str, str], None] = {}
        self.cols_written: dict[tuple[str, str], None] = {}
        self.functions: dict[str, None] = {}
        self.late: dict[str, None] = {}
        self.predicates: dict[Predicate, None] = {}
        self.sorts: dict[SortKey, None] = {}
        self.limited: dict[int, None] = {}
        self._levels = 0
        self._top: ast.Node | None = None
        self._text: str | None = None

    def result(self) -> References:
        return References(reads=tuple(self.reads), writes=tuple(self.writes), mentions=tuple(self.mentions),
                          columns_read=tuple(self.cols_read), columns_written=tuple(self.cols_written),
                          functions=tuple(self.functions), late=tuple(self.late),
                          predicates=tuple(self.predicates), sort_keys=tuple(self.sorts), limited=tuple(self.limited))

    def level(self, scope: Scope) -> Scope:
        """Give ``scope`` a query level of its own (predicates and sort keys are per level)."""
        self._levels += 1
        scope.level = self._levels
        return scope

    def conditions(self, expr: ast.Node | None, scope: Scope) -> None:
        self.predicates.update(dict.fromkeys(conditions(expr, scope, self.resolve)))

    # entry points

    def statement(self, node: ast.Node, text: str | None, variables: frozenset[str] = frozenset()) -> None:
        outer = self._top, self._text
        self._top, self._text = node, text
        self.walk(node, Scope(None, variables))
        self._top, self._text = outer

    def source(self, node: ast.Node) -> str | None:
        """The SQL of a function or DO statement: as written when it is the statement given, else deparsed."""
        return self._text if node is self._top and self._text is not None else deparse(node)

    def walk(self, node: Any, scope: Scope) -> None:
        if isinstance(node, tuple):
            for item in node:
                self.walk(item, scope)
            return
        if not isinstance(node, ast.Node) or isinstance(node, LEAVES):
            return
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            handler(self, node, scope)
        else:
            self.fields(node, scope)

    def fields(self, node: ast.Node, scope: Scope, skip: tuple[str, ...] = ()) -> None:
        for attr in children(type(node)):
            if attr not in skip:
                value = getattr(node, attr, None)
                if value is not None:
                    self.walk(value, scope)

    # relations

    def relation(self, rv: ast.RangeVar, scope: Scope, into: dict[str, None] | None = None) -> str | None:
        """A FROM item (read), or a DML or COPY target (``into``: a target never names a CTE): registers its
        alias in ``scope``; None for a CTE."""
        relname = rv.relname or ""
        alias = rv.alias.aliasname if rv.alias is not None else None
        if into is None and rv.schemaname is None and relname in scope.ctes:
            scope.add_other(alias or relname)
            return None
        name = qualify(rv.schemaname, relname)
        (self.reads if into is None else into)[name] = None
        scope.add_relation(alias or relname, name, bare=alias is None)
        return name

    def from_item(self, node: ast.Node | None, scope: Scope) -> None:
        if node is None:
            return
        if isinstance(node, ast.RangeVar):
            self.relation(node, scope)
        elif isinstance(node, ast.JoinExpr):
            self.from_item(node.larg, scope)
            self.from_item(node.rarg, scope)
            self.walk(node.quals, scope)
            self.conditions(node.quals, scope)
            if node.alias is not None and node.alias.aliasname:
                scope.names[node.alias.aliasname] = None
        elif isinstance(node, ast.RangeSubselect):
            self.walk(node.subquery, scope)
            scope.add_other(node.alias.aliasname if node.alias is not None else None)
        elif isinstance(node, ast.RangeTableSample):
            self.from_item(node.relation, scope)
            self.walk(node.args, scope)
            self.walk(node.repeatable, scope)
        else:  # functions in FROM, XMLTABLE, JSON_TABLE
            self.fields(node, scope)
            alias = getattr(node, "alias", None)
            scope.add_other(alias.aliasname if isinstance(alias, ast.Alias) else None)

    def mention(self, rv: ast.RangeVar, scope: Scope) -> None:
        self.mentions[rangevar_name(rv)] = None

    def with_clause(self, wc: ast.WithClause | None, scope: Scope) -> None:
        if wc is None:
            return
        ctes = [c for c in wc.ctes or () if isinstance(c, ast.CommonTableExpr)]
        if wc.recursive:
            scope.ctes = scope.ctes | {c.ctename or "" for c in ctes}
        for cte in ctes:
            self.walk(cte.ctequery, scope)
            scope.ctes = scope.ctes | {cte.ctename or ""}

    # queries

    def select(self, node: ast.SelectStmt, parent: Scope) -> None:
        scope = self.level(Scope(parent))
        if node.limitCount is not None:
            self.limited[scope.level] = None
        self.with_clause(node.withClause, scope)
        if node.larg is not None or node.rarg is not None:  # UNION, INTERSECT, EXCEPT
            scope.has_from = True  # ORDER BY names output columns, not a relation's
            self.walk(node.larg, scope)
            self.walk(node.rarg, scope)
            self.walk(node.sortClause, scope)
            self.walk(node.limitOffset, scope)
            self.walk(node.limitCount, scope)
            return
        for item in node.fromClause or ():
            self.from_item(item, scope)
        self.walk(node.targetList, scope)
        self.walk(node.whereClause, scope)
        self.conditions(node.whereClause, scope)
        self.walk(node.havingClause, scope)
        self.walk(node.windowClause, scope)
        self.walk(node.valuesLists, scope)
        self.walk(node.distinctClause, scope)
        self.walk(node.limitOffset, scope)  # not lockingClause (FOR UPDATE OF names aliases) nor intoClause
        self.walk(node.limitCount, scope)
        # GROUP BY and ORDER BY may name output columns
        scope.outputs = frozenset(t.name for t in node.targetList or () if isinstance(t, ast.ResTarget) and t.name)
        self.walk(node.groupClause, scope)
        self.walk(node.sortClause, scope)
        for clause, items in (("group", node.groupClause), ("order", node.sortClause)):
            self.sorts.update(dict.fromkeys(sort_keys(items, node.targetList, scope, self.resolve, clause)))

    def _target(self, node: ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt | ast.MergeStmt,
                parent: Scope) -> tuple[Scope, str | None]:
        scope = self.level(Scope(parent))
        self.with_clause(node.withClause, scope)
        target = self.relation(node.relation, scope, into=self.writes) if node.relation is not None else None
        return scope, target

    def _set(self, targets: Iterable[ast.Node] | None, target: str | None, scope: Scope) -> None:
        """SET col = expr, INSERT (col, ...): columns written on the target, values read."""
        for rt in targets or ():
            if isinstance(rt, ast.ResTarget):
                if target is not None and rt.name:
                    self.cols_written[(target, rt.name)] = None
                self.walk(rt.indirection, scope)
                self.walk(rt.val, scope)

    def _returning(self, node: ast.Node, scope: Scope) -> None:
        returning = getattr(node, "returningClause", None)
        self.walk(returning.exprs if isinstance(returning, ast.ReturningClause) else returning, scope)

    def insert(self, node: ast.InsertStmt, parent: Scope) -> None:
        scope, target = self._target(node, parent)
        # the target is not visible to the inserted query
        query_scope = Scope(parent)
        query_scope.ctes = scope.ctes
        query_scope.has_from = True
        self.walk(node.selectStmt, query_scope)
        self._set(node.cols, target, scope)
        if target is not None and not node.cols and node.selectStmt is not None:
            self.cols_written[(target, "*")] = None
        conflict = node.onConflictClause
        if conflict is not None:
            scope.names["excluded"] = None
            if conflict.infer is not None:
                self.walk(conflict.infer.whereClause, scope)
            self._set(conflict.targetList, target, scope)
            self.walk(conflict.whereClause, scope)
        self._returning(node, scope)

    def update(self, node: ast.UpdateStmt | ast.DeleteStmt, parent: Scope) -> None:
        """UPDATE ... SET ... FROM, DELETE ... USING."""
        scope, target = self._target(node, parent)
        for item in (node.fromClause if isinstance(node, ast.UpdateStmt) else node.usingClause) or ():
            self.from_item(item, scope)
        if isinstance(node, ast.UpdateStmt):
            self._set(node.targetList, target, scope)
        self.walk(node.whereClause, scope)
        self.conditions(node.whereClause, scope)
        self._returning(node, scope)

    def merge(self, node: ast.MergeStmt, parent: Scope) -> None:
        scope, target = self._target(node, parent)
        if node.sourceRelation is not None:
            self.from_item(node.sourceRelation, scope)
        self.walk(node.joinCondition, scope)
        for when in node.mergeWhenClauses or ():
            if not isinstance(when, ast.MergeWhenClause):
                continue
            self.walk(when.condition, scope)
            self._set(when.targetList, target, scope)
            if target is not None and when.values and not when.targetList:
                self.cols_written[(target, "*")] = None
            self.walk(when.values, scope)
        self._returning(node, scope)

    def copy(self, node: ast.CopyStmt, parent: Scope) -> None:
        scope = Scope(parent)
        if node.relation is not None:
            name = self.relation(node.relation, scope, into=self.writes if node.is_from else self.reads)
            columns = self.cols_written if node.is_from else self.cols_read
            if name is not None:
                for col in [sval(a) for a in node.attlist or ()] or ["*"]:
                    if col:
                        columns[(name, col)] = None
            self.walk(node.whereClause, scope)
        self.walk(node.query, scope)

    # expressions

    def column(self, node: ast.ColumnRef, scope: Scope) -> None:
        fields = node.fields or ()
        if len(fields) == 1 and isinstance(fields[0], ast.A_Star):
            level: Scope | None = scope
            while level is not None and not level.has_from:
                level = level.parent
            for rel in level.relations if level is not None else ():
                self.cols_read[(rel, "*")] = None
            return
        found = self.resolve(node, scope)
        if found is not None and found != VARIABLE:
            self.cols_read[found] = None

    @staticmethod
    def resolve(node: ast.ColumnRef, scope: Scope) -> tuple[str, str] | None:
        """The (relation, column) a column reference names; VARIABLE for a parameter or variable; None when
        it resolves to no relation (an output name, a subquery's column, several relations)."""
        fields = node.fields or ()
        if not fields or (len(fields) == 1 and isinstance(fields[0], ast.A_Star)):
            return None
        last = fields[-1]
        col = "*" if isinstance(last, ast.A_Star) else getattr(last, "sval", None)
        if not col:
            return None
        if len(fields) == 1:
            if col in scope.variables:
                return VARIABLE
            level: Scope | None = scope
            while level is not None and not level.has_from:
                level = level.parent
            if level is None or col in level.outputs or level.single is None:
                return None
            return (level.single, col)
        quals = [getattr(f, "sval", None) for f in fields[:-1]]
        if any(q is None for q in quals) or len(quals) > 3:
            return None
        key = quals[0] if len(quals) == 1 else f"{quals[-2]}.{quals[-1]}"
        found = scope.lookup(key or "")
        return (found, col) if isinstance(found, str) else None

    def call(self, node: ast.FuncCall, scope: Scope) -> None:
        self.functions[dotted(node.funcname)] = None
        self.fields(node, scope, skip=("funcname",))

    # statements

    def view(self, node: ast.ViewStmt, scope: Scope) -> None:
        self.fields(node, scope, skip=("view",))

    def create_table_as(self, node: ast.CreateTableAsStmt, scope: Scope) -> None:
        self.fields(node, scope, skip=("into",))

    def _on(self, rv: ast.RangeVar | None, scope: Scope, created: bool = False) -> Scope:
        """The scope of a statement on one table, whose expressions' bare columns are that table's."""
        own = Scope(scope)
        if rv is not None:
            if not created:
                self.mention(rv, own)
            own.add_relation(rv.relname or "", rangevar_name(rv), bare=True)
        return own

    def create_table(self, node: ast.CreateStmt, scope: Scope) -> None:
        """CHECK and DEFAULT expressions read the new table's columns; REFERENCES names another table."""
        self.fields(node, self._on(node.relation, scope, created=True), skip=("relation",))

    def on_relation(self, node: ast.IndexStmt | ast.AlterTableStmt, scope: Scope) -> None:
        """ALTER TABLE t, CREATE INDEX ON t."""
        self.fields(node, self._on(node.relation, scope), skip=("relation",))

    def policy(self, node: ast.CreatePolicyStmt | ast.AlterPolicyStmt, scope: Scope) -> None:
        """USING and WITH CHECK read the policy's table."""
        own = self._on(node.table, scope)
        self.walk(node.qual, own)
        self.walk(node.with_check, own)

    def trigger(self, node: ast.CreateTrigStmt, scope: Scope) -> None:
        self.functions[dotted(node.funcname)] = None
        own = Scope(scope)
        own.names.update(new=None, old=None)
        self.fields(node, own, skip=("funcname",))

    def truncate(self, node: ast.TruncateStmt, scope: Scope) -> None:
        for rv in node.relations or ():
            if isinstance(rv, ast.RangeVar):
                self.writes[rangevar_name(rv)] = None

    def function(self, node: ast.CreateFunctionStmt, scope: Scope) -> None:
        params = frozenset(p.name for p in node.parameters or () if isinstance(p, ast.FunctionParameter) and p.name)
        self.walk(tuple(getattr(p, "defexpr", None) for p in node.parameters or ()), scope)
        language = (sval(option(node.options, "language")) or "sql").lower()
        variables = scope.variables | params
        if node.sql_body is not None:  # BEGIN ATOMIC ... END, RETURN expr
            self.walk(node.sql_body, Scope(None, variables))
        elif language == "sql":
            body = sval(option(node.options, "as"))
            if body:
                self.embedded(body, variables)
        elif language == "plpgsql":
            before = self._names()
            self.plpgsql(self.source(node), variables)
            self.late.update(dict.fromkeys(sorted(self._names() - before)))

    def _names(self) -> set[str]:
        return {*self.reads, *self.writes, *self.mentions, *self.functions}

    def do(self, node: ast.DoStmt, scope: Scope) -> None:
        if (sval(option(node.args, "language")) or "plpgsql").lower() == "plpgsql":
            self.plpgsql(self.source(node), scope.variables)

    def embedded(self, text: str, variables: frozenset[str]) -> None:
        """The statements of a body (none when it does not parse)."""
        try:
            parts = split_statements(text)
        except pglast.parser.ParseError:
            return
        for node, part in parts:
            self.statement(node, part, variables)

    def plpgsql(self, source: str | None, variables: frozenset[str]) -> None:
        if not source:
            return
        try:
            tree = pglast.parse_plpgsql(source)
        except Exception:  # a body pglast cannot read: no references rather than no analysis
            return
        variables = variables | frozenset(plpgsql_variables(tree))
        for query, mode in plpgsql_queries(tree):
            if mode in (3, 4, 5):  # "target := expression"
                m = ASSIGN.match(query)
                query = query[m.end():] if m else query
            self.embedded(query if mode == 0 else f"select {query}", variables)  # an expression as a SELECT


_HANDLERS: dict[type, Any] = {
    ast.SelectStmt: Collector.select, ast.InsertStmt: Collector.insert, ast.UpdateStmt: Collector.update,
    ast.DeleteStmt: Collector.update, ast.MergeStmt: Collector.merge, ast.CopyStmt: Collector.copy,
    ast.ColumnRef: Collector.column, ast.FuncCall: Collector.call, ast.RangeVar: Collector.mention,
    ast.ViewStmt: Collector.view, ast.CreateTableAsStmt: Collector.create_table_as,
    ast.CreateStmt: Collector.create_table, ast.CreateFunctionStmt: Collector.function, ast.DoStmt: Collector.do,
    ast.CreateTrigStmt: Collector.trigger, ast.CreatePolicyStmt: Collector.policy,
    ast.AlterPolicyStmt: Collector.policy, ast.IndexStmt: Collector.on_relation,
    ast.AlterTableStmt: Collector.on_relation, ast.TruncateStmt: Collector.truncate,
}
