"""Pure judging of benchmark runs: base vs head medians, their noise, and absolute budgets.

Kept apart from running pytest so every rule (what is a regression, what is noise, what a
budget means) is tested on plain numbers.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

PEAK_KEY = "gates_peak_bytes"  # written by gates/pytest_plugin/gates_bench_memory.py


@dataclass(frozen=True)
class Sample:
    """One benchmark in one pytest run: the median of its rounds, and one call's peak memory."""

    median_s: float
    peak_bytes: int | None = None


@dataclass
class Series:
    """Every run's sample of one benchmark on one side (base or head)."""

    fullname: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def median_s(self) -> float:
        return statistics.median(s.median_s for s in self.samples)

    @property
    def spread(self) -> float:
        """Run-to-run spread of the medians, relative to their median: the noise floor."""
        values = [s.median_s for s in self.samples]
        middle = statistics.median(values)
        return (max(values) - min(values)) / middle if middle > 0 else 0.0

    @property
    def peak_bytes(self) -> int | None:
        peaks = [s.peak_bytes for s in self.samples if s.peak_bytes is not None]
        return max(peaks) if peaks else None


@dataclass(frozen=True)
class Budget:
    name: str
    max_us: float | None = None
    max_bytes: int | None = None


@dataclass(frozen=True)
class Comparison:
    fullname: str
    base: Series | None
    head: Series

    @property
    def ratio(self) -> float | None:
        if self.base is None or self.base.median_s <= 0:
            return None
        return self.head.median_s / self.base.median_s

    @property
    def noise(self) -> float:
        spreads = [self.head.spread] + ([self.base.spread] if self.base else [])
        return max(spreads)

    def regressed(self, threshold: float) -> bool:
        """Slower by more than the threshold AND by more than the runs disagree among themselves."""
        ratio = self.ratio
        return ratio is not None and ratio - 1 > threshold and ratio - 1 > self.noise


def parse_run(text: str) -> dict[str, Sample]:
    """pytest-benchmark's `--benchmark-json` file: fullname -> sample. Raises ValueError."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"benchmark JSON does not parse: {exc}") from None
    entries = doc.get("benchmarks") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise ValueError("benchmark JSON has no 'benchmarks' list")
    samples: dict[str, Sample] = {}
    for entry in entries:
        name, stats = entry.get("fullname"), entry.get("stats")
        if not isinstance(name, str) or not isinstance(stats, dict):
            raise ValueError("benchmark JSON entry without fullname or stats")
        median = stats.get("median")
        if not isinstance(median, (int, float)):
            raise ValueError(f"benchmark {name!r} has no median")
        extra = entry.get("extra_info") or {}
        peak = extra.get(PEAK_KEY) if isinstance(extra, dict) else None
        samples[name] = Sample(float(median), peak if isinstance(peak, int) else None)
    return samples


def collect(runs: Sequence[Mapping[str, Sample]]) -> dict[str, Series]:
    series: dict[str, Series] = {}
    for run in runs:
        for name, sample in run.items():
            series.setdefault(name, Series(name)).samples.append(sample)
    return series


def compare(base: Mapping[str, Series], head: Mapping[str, Series]) -> list[Comparison]:
    return [Comparison(name, base.get(name), head[name]) for name in sorted(head)]


def matches(budget_name: str, fullname: str) -> bool:
    """A budget names a test as pytest shows it: the function (with parameters) or its node id."""
    return fullname == budget_name or fullname.endswith("::" + budget_name)


def budget_breaches(budget: Budget, series: Series) -> list[str]:
    """One line per limit the head exceeds."""
    lines = []
    micro = series.median_s * 1e6
    if budget.max_us is not None and micro > budget.max_us:
        lines.append(f"median {fmt_time(series.median_s)} > budget {budget.max_us:g} µs")
    peak = series.peak_bytes
    if budget.max_bytes is not None:
        if peak is None:
            lines.append("no memory figure recorded (the gates_bench_memory plugin did not run)")
        elif peak > budget.max_bytes:
            lines.append(f"peak memory {peak:,} B > budget {budget.max_bytes:,} B")
    return lines


def fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def row(item: Comparison) -> tuple[str, ...]:
    """before -> after, the ratio of medians and the noise it is judged against."""
    short = item.fullname.rsplit("::", 1)[-1]
    before = fmt_time(item.base.median_s) if item.base else "new"
    ratio = f"{item.ratio:.2f}x" if item.ratio is not None else "-"
    peak = item.head.peak_bytes
    return (
        short,
        before,
        fmt_time(item.head.median_s),
        ratio,
        f"±{item.noise * 100:.0f} %",
        f"{peak:,} B" if peak is not None else "-",
    )
