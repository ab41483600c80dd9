"""RLS policy verification: identities switched as Supabase does, specs, coverage matrix, pgTAP, leak
fuzzing and mutation testing; without specs, a world synthesised from the schema and the stranger check.
Everything here runs on sandbox clones, never on a target database.
"""

from ._cases import first_failure, judge, run_case
from ._catalog import Relation, relation, relations
from ._fuzz import WorldData, check_world, fuzz, worlds
from ._identity import BYPASS_EXPECTED, Identity, RlsBypassError, act_as, as_user, switch_identity
from ._matrix import MatrixResult, coverage_matrix
from ._mutate import Mutant, apply_mutant, mutants
from ._spec import load_specs
from ._spec_model import Case, Expect, Oracle, SpecSuite, World
from ._strangers import StrangerResult, stranger_leaks
from ._tap import parse_tap, pgtap_available, run_tap_file, tap_files
from ._world import SynthWorld, owner_query, synthesise

__all__ = [
    "BYPASS_EXPECTED",
    "Case",
    "Expect",
    "Identity",
    "MatrixResult",
    "Mutant",
    "Oracle",
    "Relation",
    "RlsBypassError",
    "SpecSuite",
    "StrangerResult",
    "SynthWorld",
    "World",
    "WorldData",
    "act_as",
    "apply_mutant",
    "as_user",
    "check_world",
    "coverage_matrix",
    "first_failure",
    "fuzz",
    "judge",
    "load_specs",
    "mutants",
    "owner_query",
    "parse_tap",
    "pgtap_available",
    "relation",
    "relations",
    "run_case",
    "run_tap_file",
    "stranger_leaks",
    "switch_identity",
    "synthesise",
    "tap_files",
    "worlds",
]
