"""Data that crosses layers: what api functions return and renderers print, one module per feature.

Models are plain pydantic data. They hold no connections and do no I/O, so every front end (the CLI's
text and JSON output today) serializes them the same way. Each module declares its own ``__all__``;
this package re-exports them, so ``from pgmanager.models import Finding`` keeps working.
"""

from ._base import *  # noqa: F403
from .advise import *  # noqa: F403
from .advisors import *  # noqa: F403
from .agent import *  # noqa: F403
from .analyze import *  # noqa: F403
from .check import *  # noqa: F403
from .diff import *  # noqa: F403
from .lint import *  # noqa: F403
from .migrate import *  # noqa: F403
from .verify import *  # noqa: F403
