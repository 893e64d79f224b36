"""All model modules, one per concern. Importing this package registers every table on Base.metadata."""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
