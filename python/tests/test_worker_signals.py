"""run_worker's signal handling: it must give an embedding program its Ctrl-C back."""

from __future__ import annotations

import asyncio
import signal

from memotune.worker import _stop_on_signals


def test_signal_handlers_are_removed_when_the_worker_ends() -> None:
    async def main() -> tuple[bool, bool]:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        restore = _stop_on_signals(stop)
        restore()
        # remove_signal_handler answers whether one was installed: none is left.
        return loop.remove_signal_handler(signal.SIGINT), loop.remove_signal_handler(signal.SIGTERM)

    assert asyncio.run(main()) == (False, False)


def test_a_signal_sets_stop_and_hands_the_next_one_back() -> None:
    async def main() -> tuple[bool, bool]:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        _stop_on_signals(stop)
        signal.raise_signal(signal.SIGTERM)
        await asyncio.sleep(0.05)
        return stop.is_set(), loop.remove_signal_handler(signal.SIGTERM)

    assert asyncio.run(main()) == (True, False)


def test_a_client_of_ones_own_takes_no_connection_settings_beside_it() -> None:
    import asyncio

    import pytest

    from memotune import stage
    from memotune.store import MemoryObjectStore
    from memotune.worker import run_worker

    @stage("own-client-for-test")
    def own(ctx):  # type: ignore[no-untyped-def]
        return {"output": 1}

    with pytest.raises(ValueError, match="client= is already connected: leave out address, metrics"):
        asyncio.run(
            run_worker(
                "memotune-python",
                client=object(),  # type: ignore[arg-type]
                address="127.0.0.1:1",
                metrics="127.0.0.1:9464",
                stages=["own-client-for-test"],
                store=MemoryObjectStore(),
            )
        )
