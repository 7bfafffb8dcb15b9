"""Test hosts with their own addresses: Linux network namespaces joined by veth pairs to a bridge.

Everything lives in namespaces this test makes (the bridge too, in a "switch" namespace), so no
traffic touches the machine's own interfaces; every namespace is removed on exit, even on failure.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass, field

SUBNET = "10.253.71"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


@dataclass
class Network:
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:5])
    hosts: dict[str, str] = field(default_factory=dict)  # name -> address
    namespaces: list[str] = field(default_factory=list)
    _next: int = 10

    @property
    def switch(self) -> str:
        return f"ipsb{self.tag}sw"

    def __enter__(self) -> Network:
        self._add_ns(self.switch)
        _ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.switch, "link", "set", "br0", "up")
        return self

    def _add_ns(self, name: str) -> None:
        _ip("netns", "add", name)
        self.namespaces.append(name)
        _ip("-n", name, "link", "set", "lo", "up")

    def host(self, name: str) -> str:
        """A new host on the bridge; returns its address."""
        ns = self.ns(name)
        self._add_ns(ns)
        address = f"{SUBNET}.{self._next}"
        self._next += 1
        inner, outer = f"v{self.tag}{len(self.hosts)}a", f"v{self.tag}{len(self.hosts)}b"
        _ip("link", "add", inner, "type", "veth", "peer", "name", outer)
        _ip("link", "set", inner, "netns", ns)
        _ip("link", "set", outer, "netns", self.switch)
        _ip("-n", self.switch, "link", "set", outer, "master", "br0")
        _ip("-n", self.switch, "link", "set", outer, "up")
        _ip("-n", ns, "addr", "add", f"{address}/24", "dev", inner)
        _ip("-n", ns, "link", "set", inner, "up")
        self.hosts[name] = address
        self._links = getattr(self, "_links", {})
        self._links[name] = outer
        return address

    def ns(self, name: str) -> str:
        return f"ipsb{self.tag}{name}"

    def cut(self, name: str) -> None:
        """Unplug a host from the bridge (its cable, as it were)."""
        _ip("-n", self.switch, "link", "set", self._links[name], "down")

    def popen(self, name: str, argv: list[str], **kwargs: object) -> subprocess.Popen:
        """A process inside host `name` (`ip netns exec` execs it: the PID is the process's)."""
        return subprocess.Popen(["ip", "netns", "exec", self.ns(name), *argv], **kwargs)  # type: ignore[arg-type]

    def run(self, name: str, argv: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["ip", "netns", "exec", self.ns(name), *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def __exit__(self, *exc: object) -> None:
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)


def can_make_namespaces() -> str | None:
    """None when this process may create namespaces, else the reason it may not."""
    if os.geteuid() != 0:
        return "network namespaces need root (CI runs as root)"
    probe = f"ipsbprobe{uuid.uuid4().hex[:4]}"
    try:
        _ip("netns", "add", probe)
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"cannot create a network namespace here: {exc}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None
