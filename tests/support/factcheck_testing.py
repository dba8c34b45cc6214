"""Helpers every test folder may import (tests/support is on sys.path through pytest's
`pythonpath` setting; with `--import-mode=importlib` no test folder is importable from another).

Loading by path: a test folder's helper modules and the benchmark scripts are not packages.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_path(module_name: str, path: Path) -> ModuleType:
    """The module at `path`, loaded once per run under `module_name` (registered in sys.modules
    before it runs, so its dataclasses and pickles can find it)."""
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def load_e2e(name: str) -> ModuleType:
    """tests/e2e's `harness` or `bridge`, under one name whichever folder asks first."""
    e2e = Path(__file__).resolve().parent.parent / "e2e"
    return load_path(f"factcheck_e2e_{name}", e2e / f"{name}.py")
