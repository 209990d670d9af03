"""The benchmark's latency proxy forwards both ways, in order, intact (no timing asserted)."""

import asyncio
from pathlib import Path

import pytest

from tests.lib.loader import load_file

ROOT = Path(__file__).resolve().parents[2]
proxy = load_file("playbooks/files/latency_proxy.py")


async def echo(reader, writer):
    while data := await reader.read(65536):
        writer.write(data.upper())
        await writer.drain()
    writer.close()


async def roundtrip(messages):
    echo_server = await asyncio.start_server(echo, "127.0.0.1", 0)
    target = ("127.0.0.1", echo_server.sockets[0].getsockname()[1])
    ready = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(proxy.serve(("127.0.0.1", 0), target, 2.0, ready))
    port = await ready
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answers = []
    for message in messages:
        writer.write(message)
        await writer.drain()
        answers.append(await reader.readexactly(len(message)))
    writer.write_eof()
    assert await reader.read() == b""
    writer.close()
    task.cancel()
    echo_server.close()
    return answers


def test_bytes_go_through_both_ways_in_order():
    messages = [b"select 1;", b"x" * 200_000, bytes(range(256))]
    assert asyncio.run(roundtrip(messages)) == [m.upper() for m in messages]


@pytest.mark.parametrize("text", ["5432", "host:", ":5432", "host:port"])
def test_bad_addresses_are_refused(text):
    with pytest.raises(Exception, match="HOST:PORT"):
        proxy.parse_address(text)


def test_addresses_are_parsed():
    assert proxy.parse_address("10.0.0.2:5432") == ("10.0.0.2", 5432)
