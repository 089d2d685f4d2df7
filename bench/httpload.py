"""A small HTTP/1.1 load generator for benchmarks: keep-alive connections, asyncio, several processes.

Not locust: here we want the highest request rate one box can push at a server, with the least
client overhead, so that server-side ratios (osokit vs the bare uvicorn ceiling) mean something.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Result:
    requests: int
    errors: int
    seconds: float
    latencies_ms: tuple[float, ...]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def _connection(
    host: str, port: int, request: bytes, stop_at: float, out: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            out.append((time.perf_counter() - started) * 1000)
            if not head.startswith((b"HTTP/1.1 200", b"HTTP/1.1 500")):
                errors[0] += 1
    finally:
        writer.close()


def _worker(url: str, body: bytes, headers: dict[str, str], connections: int, duration: float, queue: mp.Queue) -> None:
    parts = urlsplit(url)
    head = f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    request = head.encode() + body
    latencies: list[float] = []
    errors = [0]

    async def main() -> None:
        stop_at = time.perf_counter() + duration
        await asyncio.gather(
            *(_connection(parts.hostname, parts.port, request, stop_at, latencies, errors) for _ in range(connections))
        )

    started = time.perf_counter()
    asyncio.run(main())
    queue.put((len(latencies), errors[0], time.perf_counter() - started, latencies))


def run(
    url: str,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    connections: int = 16,
    duration: float = 3.0,
    processes: int = 1,
) -> Result:
    """POST ``body`` to ``url`` as fast as ``processes`` x ``connections`` keep-alive connections can."""
    queue: mp.Queue = mp.get_context("spawn").Queue()
    ctx = mp.get_context("spawn")
    workers = [
        ctx.Process(target=_worker, args=(url, body, headers or {}, connections, duration, queue))
        for _ in range(processes)
    ]
    for w in workers:
        w.start()
    results = [queue.get(timeout=duration + 60) for _ in workers]
    for w in workers:
        w.join(10)
    latencies = tuple(x for r in results for x in r[3])
    return Result(sum(r[0] for r in results), sum(r[1] for r in results), max(r[2] for r in results), latencies)


def median_rate(results: list[Result]) -> float:
    return statistics.median(r.rate for r in results)
