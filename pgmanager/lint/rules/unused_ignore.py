"""An ignore comment that suppresses nothing."""

from __future__ import annotations

from .._base import Category, Rule


class UnusedIgnore(Rule):
    """An ignore comment that suppresses nothing is reported.

    **Problem.** ``-- pgmanager-ignore <rule>`` comments outlive the problem they silenced: the
    statement is fixed, or the comment names a rule that never fires there (a typo), and the stale
    comment then hides the next real finding of that rule on the statement.

    **Solution.** Remove the comment, or correct the rule name. The engine checks this itself after
    every other rule ran: only rules that ran are judged (a rule turned off in the configuration is
    not), and a name that is no rule at all is always reported::

        -- pgmanager-ignore prefer-text-field: varchar(50) is the platform contract
        create table public.events (kind varchar(50) not null);
    """

    name = "unused-ignore"
    category = Category.CORRECTNESS
    help = "remove the ignore comment (or fix the rule name)"
    kinds = frozenset()
