"""Faust's aiokafka transport with a cheaper hand-off of each fetched message to the streams.

faust-streaming 0.15.3 hands every fetched message to the conductor with
``await self.wait_first(callback(message), self.suspend_flow.wait())``: four tasks (the callback,
the suspension, the consumer's stopped and crashed events) and an ``asyncio.wait`` per message, so
that a rebalance can interrupt a hand-off blocked on a full stream buffer. On the worker's event
loop this was the largest single cost per message after the work itself (py-spy, bench/pipeline.py).

Almost always the hand-off does not block: the conductor decodes the message and puts it in the
stream's queue without waiting. ``Consumer._drain_messages`` here steps the hand-off once, inline;
if it completes, that is all. If it has to wait (a full buffer, flow control, the producer buffer),
the rest of it runs exactly as Faust runs it, as a task raced against ``suspend_flow``. When flow
is already suspended (a rebalance), Faust's path is taken from the start. The loop is otherwise
Faust's own ``Consumer._drain_messages``, unchanged.

The consumer also asks aiokafka for the records of a copy of its active partitions, never of the set
Faust mutates meanwhile (``InlineConsumer._getmany``): a paused partition's records then stay in
aiokafka's buffer rather than being fetched past and dropped, which ``stream_processors.app``'s
recovery order relies on.
"""
from __future__ import annotations

import asyncio
import types
from typing import Any


@types.coroutine
def _resume(coro, yielded):
    """Drive ``coro``, already stepped once and suspended on ``yielded``, to its end (for a task)."""
    while True:
        try:
            sent = yield yielded
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # noqa: BLE001 - thrown in by the task (cancellation): pass it on
            try:
                yielded = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                yielded = coro.send(sent)
            except StopIteration as stop:
                return stop.value


async def _rest_of(coro, yielded) -> Any:
    return await _resume(coro, yielded)


def transport_class():
    """The aiokafka ``Transport`` subclass whose consumer hands messages off inline (see the module doc)."""
    from faust.transport.consumer import CONSUMER_FETCHING
    from faust.transport.drivers import aiokafka as driver

    class InlineConsumer(driver.Consumer):
        async def _getmany(self, active_partitions, timeout: float):
            # Faust passes its live set of active partitions to the consumer thread, where aiokafka's
            # ``Fetcher.fetched_records`` reads an EMPTY set as "every partition". Paused while the thread
            # waits (the changelogs when the tables are restored), the set turns empty and aiokafka hands
            # back records of paused partitions too; Faust's ``getmany`` drops those (not active), after
            # aiokafka moved its position past them: never handed over, never fetched again. A copy per
            # call keeps paused partitions' records in aiokafka's buffer, where the next seek finds them.
            if active_partitions is None:
                return await super()._getmany(active_partitions, timeout)
            partitions = frozenset(active_partitions)
            if not partitions:
                return {}
            return await super()._getmany(partitions, timeout)

        async def _drain_messages(self, fetcher) -> None:  # pragma: no cover - run by every worker test
            # Faust's Consumer._drain_messages (faust-streaming 0.15.3), but for the hand-off marked below.
            callback = self.callback
            getmany = self.getmany
            consumer_should_stop = self._stopped.is_set
            fetcher_should_stop = fetcher._stopped.is_set
            suspended = self.suspend_flow.is_set

            get_read_offset = self._read_offset.__getitem__
            set_read_offset = self._read_offset.__setitem__
            set_flag = self.diag.set_flag
            unset_flag = self.diag.unset_flag
            commit_every = self._commit_every
            acks_enabled_for = self.app.topics.acks_enabled_for

            yield_every = 100
            num_since_yield = 0
            sleep = asyncio.sleep

            try:
                while not (consumer_should_stop() or fetcher_should_stop()):
                    set_flag(CONSUMER_FETCHING)
                    ait = getmany(timeout=1.0)
                    await self.sleep(0)
                    if not self.should_stop:
                        async for tp, message in ait:
                            num_since_yield += 1
                            if num_since_yield > yield_every:
                                await sleep(0)
                                num_since_yield = 0

                            offset = message.offset
                            r_offset = get_read_offset(tp)
                            if r_offset is None or offset >= r_offset:
                                gap = offset - (r_offset or 0)
                                if gap > 1 and r_offset:
                                    if acks_enabled_for(message.topic):
                                        await self._add_gap(tp, r_offset + 1, offset)
                                if commit_every is not None:
                                    if self._n_acked >= commit_every:
                                        self._n_acked = 0
                                        await self.commit()
                                # --- the hand-off: inline while it does not wait --------------------
                                handoff = callback(message)
                                if suspended():
                                    await self.wait_first(handoff, self.suspend_flow.wait())
                                else:
                                    try:
                                        yielded = handoff.send(None)
                                    except StopIteration:
                                        pass
                                    else:
                                        await self.wait_first(_rest_of(handoff, yielded), self.suspend_flow.wait())
                                # ------------------------------------------------------------------
                                set_read_offset(tp, offset)
                            else:
                                self.log.dev("DROPPED MESSAGE ROFF %r: k=%r v=%r", offset, message.key, message.value)
                        unset_flag(CONSUMER_FETCHING)

            except self.consumer_stopped_errors:
                if self.transport.app.should_stop:
                    self.log.info("Broker stopped consumer, shutting down...")
                    return
                raise
            except asyncio.CancelledError:
                if self.transport.app.should_stop:
                    self.log.info("Consumer shutting down for user cancel.")
                    return
                raise
            except Exception as exc:
                self.log.exception("Drain messages raised: %r", exc)
                raise
            finally:
                unset_flag(CONSUMER_FETCHING)

    class Transport(driver.Transport):
        Consumer = InlineConsumer

    return Transport
