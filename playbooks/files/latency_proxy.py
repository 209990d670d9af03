#!/usr/bin/env python3
"""A TCP forwarder that adds latency, for benchmarks in test environments.

    latency_proxy.py --listen 127.0.0.1:15432 --target 10.0.0.2:5432 --rtt-ms 5

Every chunk read from either side is written to the other side rtt/2 ms later,
in order, so each round trip through the proxy takes rtt-ms longer, like a
database one network hop away. Where the kernel has sch_netem, `tc netem`
does the same at the interface; containers often lack it. Standard library
only; it runs with the host's python3.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time


def parse_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy reader to writer, each chunk held back until `delay` seconds after it arrived."""
    queue: asyncio.Queue = asyncio.Queue()

    async def receive() -> None:
        while True:
            data = await reader.read(65536)
            await queue.put((time.monotonic() + delay, data))
            if not data:
                return

    async def send() -> None:
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                with contextlib.suppress(OSError):
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    await asyncio.gather(receive(), send())


async def handle(client_reader, client_writer, target: tuple[str, int], delay: float) -> None:
    try:
        server_reader, server_writer = await asyncio.open_connection(*target)
    except OSError:
        client_writer.close()
        return
    try:
        await asyncio.gather(pipe(client_reader, server_writer, delay), pipe(server_reader, client_writer, delay))
    except (OSError, asyncio.IncompleteReadError):
        pass
    finally:
        for writer in (client_writer, server_writer):
            writer.close()


async def serve(listen: tuple[str, int], target: tuple[str, int], rtt_ms: float, ready=None) -> None:
    delay = max(0.0, rtt_ms) / 2000.0  # half of the round trip each way, in seconds
    server = await asyncio.start_server(lambda r, w: handle(r, w, target, delay), *listen, backlog=1024)
    if ready is not None:
        ready.set_result(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=parse_address, required=True)
    parser.add_argument("--target", type=parse_address, required=True)
    parser.add_argument("--rtt-ms", type=float, required=True)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.listen, args.target, args.rtt_ms))


if __name__ == "__main__":
    main()
