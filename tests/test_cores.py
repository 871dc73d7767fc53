"""Spare cores: lent only when the runner's workers leave them free, and given back."""

from __future__ import annotations

from gates.cores import NO_SPARE_CORES, SpareCores


def test_a_core_is_lent_only_when_no_worker_holds_it() -> None:
    cores = SpareCores(2)
    cores.worker_started()
    cores.worker_started()
    assert not cores.try_borrow()  # both workers alive, even between two gates
    cores.worker_stopped()  # one found nothing more to start
    assert cores.free() == 1
    assert cores.try_borrow()
    assert not cores.try_borrow() and cores.free() == 0
    cores.give_back()
    assert cores.free() == 1


def test_oversubscribed_workers_lend_nothing() -> None:
    cores = SpareCores(2)
    for _ in range(3):  # more workers than cores: nothing is left to lend
        cores.worker_started()
    cores.worker_stopped()
    assert not cores.try_borrow() and cores.free() == 0
    cores.worker_stopped()
    assert cores.try_borrow()


def test_outside_a_runner_nothing_is_lent() -> None:
    assert not NO_SPARE_CORES.try_borrow()
    assert NO_SPARE_CORES.free() == 0
