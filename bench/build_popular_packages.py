"""Rebuild gates/data/popular_packages.txt, the offline list the `dependencies` gate compares
new dependency names against (a typosquat resembles a popular name without being one).

.venv/bin/python bench/build_popular_packages.py [--source URL_OR_FILE] [--top N] [--measure]

The source is Hugo van Kemenade's "top-pypi-packages" dataset: the 15,000 most-downloaded PyPI
projects of the last 30 days, dumped monthly from the public PyPI download statistics
(BigQuery / ClickHouse), as JSON `{"last_update": ..., "rows": [{"project", "download_count"}]}`
and published at DEFAULT_SOURCE (repository github.com/hugovk/top-pypi-packages, DOI
10.5281/zenodo.1257085). A runner whose network reaches only package registries cannot fetch
that address: download the JSON where it can be reached (or take it from a clone of that
repository) and pass the file with `--source`.

Names are written canonical (PEP 503), most downloaded first: the rank is the line number among
the names, which the gate quotes in its messages.

`--measure` writes nothing: it prints how many of the dataset's projects ranked after the list
(established projects, so mostly not typosquats) the typosquat test reports, the figure that
says how noisy it is on real, less popular names (gates/docs/security.md quotes it).
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

DEFAULT_SOURCE = "https://hugovk.dev/top-pypi-packages/top-pypi-packages.min.json"
TARGET = Path(__file__).resolve().parents[1] / "gates" / "data" / "popular_packages.txt"
DEFAULT_TOP = 5000
TIMEOUT_S = 30.0


def load(source: str) -> dict[str, Any]:
    """The dataset from a URL or a local file."""
    if source.startswith(("https://", "http://")):
        # gates: ignore[network-egress-dynamic] the dataset's address, or one given on purpose
        with urllib.request.urlopen(source, timeout=TIMEOUT_S) as answer:  # noqa: S310  # nosec B310
            data = json.load(answer)
    else:
        data = json.loads(Path(source).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise ValueError(f"{source}: not a top-pypi-packages dataset (no 'rows' list)")
    return data


def ranked_names(rows: list[Any], top: int) -> list[str]:
    """Canonical names by downloads, most first, without duplicates, at most `top`."""
    ordered = sorted(
        (r for r in rows if isinstance(r, dict) and isinstance(r.get("project"), str)),
        key=lambda r: -int(r.get("download_count", 0)),
    )
    names: list[str] = []
    seen: set[str] = set()
    for row in ordered:
        name = canonicalize_name(row["project"])
        if name not in seen:
            seen.add(name)
            names.append(name)
        if len(names) == top:
            break
    return names


def render(names: list[str], source: str, last_update: str) -> str:
    header = [
        "# The most-downloaded PyPI projects, most first (canonical names; rank = line number).",
        f"# Source: top-pypi-packages ({source}), data of {last_update}, 30 days of downloads.",
        "# Rebuilt by bench/build_popular_packages.py; read by gates/checks/deps/popular.py.",
    ]
    return "\n".join([*header, *names]) + "\n"


def measure(names: list[str], top: int) -> None:
    """The typosquat test on the projects ranked after the shipped list."""
    from gates.checks.deps.popular import PopularNames

    popular = PopularNames(names[:top])
    rest = names[top:]
    flagged = [(n, popular.resembles(n)) for n in rest]
    hits = [(n, r) for n, r in flagged if r is not None]
    share = len(hits) / len(rest) if rest else 0.0
    span = f"ranks {top + 1}-{len(names)}"
    print(f"{span}: {len(hits)} of {len(rest)} resemble a popular name ({share:.1%})")
    for name, found in hits[:20]:
        print(f"  {name} ~ {found.popular} ({found.how})")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=DEFAULT_SOURCE, help="URL or JSON file")
    parser.add_argument("--top", type=int, default=DEFAULT_TOP, help="how many names to keep")
    parser.add_argument("--output", type=Path, default=TARGET)
    parser.add_argument("--measure", action="store_true", help="print the look-alike rate only")
    args = parser.parse_args(argv)
    try:
        data = load(args.source)
    except (OSError, ValueError) as exc:
        print(f"cannot read the dataset: {exc}", file=sys.stderr)
        return 2
    if args.measure:
        measure(ranked_names(data["rows"], len(data["rows"])), args.top)
        return 0
    names = ranked_names(data["rows"], args.top)
    label = DEFAULT_SOURCE if args.source == DEFAULT_SOURCE else Path(args.source).name
    args.output.write_text(render(names, label, str(data.get("last_update", "?"))), "utf-8")
    print(f"{len(names)} names written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
