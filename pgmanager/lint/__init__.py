"""Lint: rules over the parsed AST (one module per rule in ``rules/``), project-aware through a
schema model replayed from every file, plus sqlfluff for style. Never touches a database.

Writing a rule (see docs/rules/ for the pages generated from rule docstrings)::

    from pgmanager.lint import Category, Rule, Violation

    class BanDropTable(Rule):
        \"\"\"One-line summary. Then the problem, and the solution, in prose.\"\"\"

        name = "ban-drop-table"
        category = Category.SAFETY
        help = "How to fix it, in one line."

        def check_statement(self, stmt, ctx):
            if ...:
                yield Violation("message", stmt)
"""

from . import rules  # noqa: F401  -- importing it registers every rule module
from ._base import Category, FileContext, Fix, ProjectContext, Rule, TextEdit, Violation, registry
from ._cache import LintCache
from ._config import LintConfig, RuleSettings
from ._engine import Linter, LintOutcome, ruleset_version, worst

__all__ = [
    "Category",
    "FileContext",
    "Fix",
    "LintCache",
    "LintConfig",
    "LintOutcome",
    "Linter",
    "ProjectContext",
    "Rule",
    "RuleSettings",
    "TextEdit",
    "Violation",
    "registry",
    "ruleset_version",
    "worst",
]
