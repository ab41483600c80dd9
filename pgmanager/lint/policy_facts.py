"""What the rules know about policies and exposed data, for the live advisors (pgmanager.advisors) to judge a
database's catalog by the same code as the rules judge its SQL: one home, re-exported here as public API.

They are pure functions of the AST and of the schema model's PolicyInfo; nothing here touches a database.
"""

from .rules._security_helpers import (
    API_ROLES,
    BYPASS_ROLES,
    COMMANDS,
    applies_to,
    call_name,
    is_sensitive_column,
    is_true_constant,
    policy_roles,
    unwrapped_calls,
    user_metadata_refs,
)
from .rules.sensitive_columns_exposed import anon_select_policy

__all__ = [
    "API_ROLES",
    "BYPASS_ROLES",
    "COMMANDS",
    "anon_select_policy",
    "applies_to",
    "call_name",
    "is_sensitive_column",
    "is_true_constant",
    "policy_roles",
    "unwrapped_calls",
    "user_metadata_refs",
]
