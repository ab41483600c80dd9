"""Every lint rule, one module each. Importing this package imports every module in the folder,
and each rule registers itself by subclassing :class:`pgmanager.lint.Rule`: add a file, get a rule."""

import importlib
import pkgutil

for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")
