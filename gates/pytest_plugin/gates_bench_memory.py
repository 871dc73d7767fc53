"""Record each benchmark's peak traced memory in pytest-benchmark's JSON (`extra_info`).

A budget such as "an agent instance takes at most 6.5 KB" needs the allocation of one call, not
the process's size: tracemalloc around one extra call, made after the timed rounds so caches and
imports the first call fills are not counted. The value lands in `extra_info["gates_peak_bytes"]`.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from typing import Any

PEAK_KEY = "gates_peak_bytes"


def peak_bytes(
    function: Callable[..., object], args: Sequence[Any], kwargs: Mapping[str, Any]
) -> int:
    """Bytes allocated at the peak of one call, above what was allocated before it."""
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = function(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        if not tracing:
            tracemalloc.stop()
    return max(0, peak - before)


def _patch(fixture_class: Any) -> None:
    original_call = fixture_class.__call__
    original_pedantic = fixture_class.pedantic

    def call(self: Any, function: Callable[..., object], *args: Any, **kwargs: Any) -> object:
        result = original_call(self, function, *args, **kwargs)
        self.extra_info[PEAK_KEY] = peak_bytes(function, args, kwargs)
        return result

    def pedantic(self: Any, target: Callable[..., object], *p_args: Any, **p_kwargs: Any) -> object:
        result = original_pedantic(self, target, *p_args, **p_kwargs)
        setup = p_kwargs.get("setup")
        args, kwargs = p_kwargs.get("args", ()), p_kwargs.get("kwargs") or {}
        if setup is not None:
            made = setup()
            if made is not None:
                args, kwargs = made
        self.extra_info[PEAK_KEY] = peak_bytes(target, args or (), kwargs or {})
        return result

    fixture_class.__call__ = call
    fixture_class.pedantic = pedantic
    fixture_class._gates_memory = True


def pytest_configure(config: object) -> None:
    try:
        from pytest_benchmark.fixture import BenchmarkFixture
    except ImportError:  # the gate reports pytest-benchmark missing from pytest's own error
        return
    if not getattr(BenchmarkFixture, "_gates_memory", False):
        _patch(BenchmarkFixture)
