"""gates: staged pull-request gates with one consolidated report.

The Python API (docs/api.md): `gates.run(...)` returns the `Report` of a run,
`gates.scan_text(...)` the safety detectors' `Finding`s on a string, and bad usage raises
`gates.GatesError`. Its names are imported on first use, so `import gates` (and with it every
command, `gates --help` included) does not load the pipeline.
"""

__version__ = "0.1.0"

# `typing` alone would triple the time `import gates` takes; type checkers read this as True.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from gates.api import run, scan_text
    from gates.errors import ConfigError, UsageError
    from gates.errors import UsageError as GatesError
    from gates.model import (
        DiffInfo,
        Finding,
        GateResult,
        Report,
        Severity,
        Stage,
        Status,
        Suppression,
        Verdict,
    )

__all__ = [
    "ConfigError",
    "DiffInfo",
    "Finding",
    "GateResult",
    "GatesError",
    "Report",
    "Severity",
    "Stage",
    "Status",
    "Suppression",
    "UsageError",
    "Verdict",
    "__version__",
    "run",
    "scan_text",
]

# name -> the module that defines it (GatesError is that module's UsageError)
_LAZY = {
    "run": "gates.api",
    "scan_text": "gates.api",
    "GatesError": "gates.errors",
    "UsageError": "gates.errors",
    "ConfigError": "gates.errors",
    "DiffInfo": "gates.model",
    "Finding": "gates.model",
    "GateResult": "gates.model",
    "Report": "gates.model",
    "Severity": "gates.model",
    "Stage": "gates.model",
    "Status": "gates.model",
    "Suppression": "gates.model",
    "Verdict": "gates.model",
}


def __getattr__(name: str) -> object:
    """Import an API name when it is first used (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'gates' has no attribute {name!r}")
    import importlib

    attribute = "UsageError" if name == "GatesError" else name
    value = getattr(importlib.import_module(_LAZY[name]), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
