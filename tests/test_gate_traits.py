"""Gate traits: declared once as `traits = GateTraits(...)`, read through `traits_of`."""

from __future__ import annotations

from gates.gate import DEFAULT_TRAITS, GateTraits, traits_of
from gates.registry import REGISTRY


class _Declared:
    traits = GateTraits(cost_model=(1.0, 2.0), cacheable=False)


class _Legacy:
    """A gate written before GateTraits: plain attributes of the traits' names."""

    compare_base = False
    opt_in = True


class _Both(_Declared):
    cacheable = True  # an old-style attribute still wins during the transition


def test_a_gate_without_traits_has_the_defaults() -> None:
    assert traits_of(object()) == DEFAULT_TRAITS
    assert DEFAULT_TRAITS.default_new == "lines" and DEFAULT_TRAITS.cacheable


def test_declared_traits_are_read_as_declared() -> None:
    assert traits_of(_Declared()) == GateTraits(cost_model=(1.0, 2.0), cacheable=False)


def test_plain_attributes_still_count_for_one_transition() -> None:
    assert traits_of(_Legacy()) == GateTraits(compare_base=False, opt_in=True)
    assert traits_of(_Both()) == GateTraits(cost_model=(1.0, 2.0), cacheable=True)


def test_the_registered_gates_declare_what_they_did_before() -> None:
    traits = {name: traits_of(gate) for name, gate in REGISTRY.items()}
    assert traits["mypy"].default_new == "compare" and traits["mypy"].runs_project_code
    assert traits["bandit"].cost_model == (0.3, 2.3)
    assert not traits["audit"].cacheable
    assert not traits["size"].compare_base
    assert traits["benchmark"].opt_in and not traits["benchmark"].cacheable
    assert traits["secrets"].cost_model == (0.1, 0.13)
    assert traits["hidden-unicode"].cost_model == (0.0, 0.05)


def test_a_refused_gate_keeps_the_traits_of_the_gate_it_stands_for() -> None:
    """Where a credential lies, a gate that runs the project's code is wrapped in a refusal;
    the wrapper still reads as that gate to the plan, the schedule and the cache."""
    from gates.credentials import PersistedCredential, guard_project_code

    found = [PersistedCredential("http.extraheader", "file:.git/config")]
    guarded = guard_project_code(REGISTRY, found)
    assert guarded["mypy"] is not REGISTRY["mypy"]  # refused, and still itself by its traits
    assert traits_of(guarded["mypy"]) == traits_of(REGISTRY["mypy"])
    assert guarded["ruff"] is REGISTRY["ruff"]
