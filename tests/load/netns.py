"""Hosts of a test's own: Linux network namespaces, each with one interface on a bridge that lives in a
namespace of its own, so nothing of the machine's network is touched. Needs root and iproute2.

``with hosts("master", "worker", "target") as h`` gives each its address (``h.address["worker"]``)
and runs programs in it (``h.popen("worker", argv)``); afterwards every namespace is deleted, which
deletes its interfaces too.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


def missing() -> str | None:
    """Why this machine cannot make hosts, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns add)"
    if shutil.which("ip") is None:
        return "network namespaces need iproute2's ip command"
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@dataclass
class Hosts:
    tag: str
    namespace: dict[str, str] = field(default_factory=dict)
    address: dict[str, str] = field(default_factory=dict)

    def argv(self, host: str, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.namespace[host], *argv]

    def popen(self, host: str, argv: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        return subprocess.Popen(self.argv(host, argv), **kwargs)

    def sent_bytes(self, host: str) -> int:
        """Bytes the host's interface has sent onto the bridge."""
        found = subprocess.run(
            self.argv(host, ["cat", "/sys/class/net/eth0/statistics/tx_bytes"]),
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        return int(found.stdout)


@contextlib.contextmanager
def hosts(*names: str) -> Iterator[Hosts]:
    tag = f"osokit{os.getpid() % 100_000}"
    subnet = f"10.{200 + os.getpid() % 50}.{os.getpid() // 50 % 250}"
    made = Hosts(tag)
    lan = f"{tag}-lan"
    created = []
    try:
        _ip("netns", "add", lan)
        created.append(lan)
        _ip("-n", lan, "link", "add", "br0", "type", "bridge")
        _ip("-n", lan, "link", "set", "br0", "up")
        for n, name in enumerate(names, start=1):
            ns = f"{tag}-{name}"
            _ip("netns", "add", ns)
            created.append(ns)
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", lan, "link", "add", f"port{n}", "type", "veth", "peer", "name", "eth0", "netns", ns)
            _ip("-n", lan, "link", "set", f"port{n}", "master", "br0", "up")
            _ip("-n", ns, "addr", "add", f"{subnet}.{n}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
            made.namespace[name], made.address[name] = ns, f"{subnet}.{n}"
        yield made
    finally:
        for ns in reversed(created):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30, check=False)
