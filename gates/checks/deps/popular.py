"""Whether a new dependency's name imitates a popular one: the typosquat test, offline.

Attackers publish packages whose names are one slip away from a popular project (`reqeusts`),
spelled with look-alike characters (`requests` with a zero for the o, separators moved), or
with the affixes people add or drop without thinking (`python-`, `py`, `-py`). LLMs make the
same slips and register none of them, so somebody else can. A name that is itself popular is
never a typosquat: both names then have a large community watching them.

The popular names are the most-downloaded PyPI projects, shipped in
gates/data/popular_packages.txt (rebuilt by bench/build_popular_packages.py).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

# One edit from a popular name is a typosquat from 5 characters on; under that, nearly every
# short name is one edit from another (`rich`, `rice`), so only look-alike spellings count.
# Two edits are not judged: among PyPI's projects ranked 5,001-15,000 (established ones) two
# edits matched 64 names, nearly all siblings of a family (`types-aiobotocore-ses` / `-s3`).
MIN_EDIT_LENGTH = 5
PREFIXES = ("python-", "python", "py-", "py")
SUFFIXES = ("-python", "python", "-py", "py")
MIN_CORE = 3  # `jwt` of `pyjwt`; shorter cores (`tz` of `pytz`) match too much
_LOOK_ALIKE = (("0", "o"), ("1", "l"), ("rn", "m"), ("vv", "w"), ("-", ""))


@dataclass(frozen=True)
class Resemblance:
    """The popular project a name imitates, its download rank, and how the names differ."""

    popular: str
    rank: int
    how: str


def skeleton(name: str) -> str:
    """The name as it looks, not as it is spelled: separators gone, look-alikes folded."""
    for seen, meant in _LOOK_ALIKE:
        name = name.replace(seen, meant)
    return name


def cores(name: str) -> set[str]:
    """The name with one common affix removed, each way it has one."""
    found = {name[len(p) :].strip("-") for p in PREFIXES if name.startswith(p)}
    found |= {name[: -len(s)].strip("-") for s in SUFFIXES if name.endswith(s)}
    return {core for core in found if len(core) >= MIN_CORE}


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count once), or `limit + 1` once it is
    certain to be more than `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, previous2[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _digits_only(name: str, popular: str) -> bool:
    """Whether the names differ only in digits: a family's versions (`elasticsearch8`,
    `pydrive2`, `cupy-cuda12x`) are separate projects by design, not slips."""
    return name.rstrip("0123456789") == popular.rstrip("0123456789") or (
        len(name) == len(popular)
        and all(a == b or (a.isdigit() and b.isdigit()) for a, b in zip(name, popular, strict=True))
    )


def _describe_edit(name: str, popular: str) -> str:
    if len(name) > len(popular):
        return "one character added"
    if len(name) < len(popular):
        return "one character missing"
    diffs = [i for i, (a, b) in enumerate(zip(name, popular, strict=True)) if a != b]
    return "two characters swapped" if len(diffs) == 2 else "one character changed"


class PopularNames:
    """The popular names by rank, indexed for the three ways a name can imitate one."""

    def __init__(self, names: Iterable[str]) -> None:
        self.rank: dict[str, int] = {}
        for name in names:
            self.rank.setdefault(name, len(self.rank) + 1)
        self._by_length: dict[int, list[str]] = {}
        self._skeletons: dict[str, str] = {}
        self._cores: dict[str, str] = {}
        for name in self.rank:  # most popular first: the first claim on a key wins
            self._by_length.setdefault(len(name), []).append(name)
            self._skeletons.setdefault(skeleton(name), name)
            for core in cores(name):
                self._cores.setdefault(core, name)

    def __len__(self) -> int:
        return len(self.rank)

    def __contains__(self, name: object) -> bool:
        return name in self.rank

    def resembles(self, name: str) -> Resemblance | None:
        """The most popular project `name` imitates, or None (always None for a popular name)."""
        if name in self.rank:
            return None
        found = self._look_alike(name) or self._affix(name) or self._near(name)
        return None if found is None else Resemblance(found[0], self.rank[found[0]], found[1])

    def _look_alike(self, name: str) -> tuple[str, str] | None:
        popular = self._skeletons.get(skeleton(name))
        return None if popular is None else (popular, "spelled with look-alike characters")

    def _affix(self, name: str) -> tuple[str, str] | None:
        for core in sorted(cores(name), key=len):
            if core in self.rank:
                affix = name[len(core) :] if name.startswith(core) else name[: -len(core)]
                return core, f"'{affix}' added"
        popular = self._cores.get(name)
        if popular is not None:
            return popular, "its affix dropped"
        hits = [self._cores[c] for c in cores(name) if c in self._cores]
        if hits:
            best = min(hits, key=self.rank.__getitem__)
            return best, "a different affix"
        return None

    def _near(self, name: str) -> tuple[str, str] | None:
        if len(name) < MIN_EDIT_LENGTH:
            return None
        best: tuple[int, str] | None = None
        for length in (len(name) - 1, len(name), len(name) + 1):
            for popular in self._by_length.get(length, ()):
                if len(popular) < MIN_EDIT_LENGTH or _digits_only(name, popular):
                    continue
                if edit_distance(name, popular, 1) <= 1:
                    if best is None or self.rank[popular] < best[0]:
                        best = (self.rank[popular], popular)
                    break  # a length's names are in rank order: the first hit is its best
        if best is None:
            return None
        return best[1], _describe_edit(name, best[1])


def _data_lines(filename: str) -> list[str]:
    text = resources.files("gates").joinpath("data").joinpath(filename).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


@functools.lru_cache(maxsize=1)
def popular_names() -> PopularNames:
    """The shipped list, read once per process."""
    return PopularNames(_data_lines("popular_packages.txt"))


@functools.lru_cache(maxsize=1)
def misleading_names() -> dict[str, tuple[str, str]]:
    """Name -> (the project people mean by it, what the project of that name really is)."""
    table: dict[str, tuple[str, str]] = {}
    for line in _data_lines("misleading_names.txt"):
        name, dist, what = (part.strip() for part in line.split("|", 2))
        table[name] = (dist, what)
    return table
