"""CPU time spent for this process: its own, and its PostgreSQL server backends'.

Wall-clock rates on a shared machine move with everyone else's work; the CPU time a piece of
work costs barely does. `Meter` sums this process's CPU time and that of every PostgreSQL
backend serving one of its connections (found by matching the client ports of this process's
TCP sockets against `pg_stat_activity`, read from /proc), so that a ratio of CPU costs measured
on a loaded machine estimates the ratio of rates on an idle one. Linux only; without /proc the
backends are not counted (the process's own time still is).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _socket_inodes() -> set[str]:
    inodes = set()
    try:
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def local_ports() -> set[int]:
    """The local TCP ports of this process's sockets."""
    inodes, ports = _socket_inodes(), set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as lines:
                next(lines)
                for line in lines:
                    fields = line.split()
                    if fields[9] in inodes:
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        except OSError:
            continue
    return ports


def _cpu_of(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


class Meter:
    """CPU seconds of this process plus its backends on the server `conninfo` names."""

    def __init__(self, conninfo: str | None) -> None:
        self._conninfo = conninfo

    def backends(self) -> set[int]:
        if self._conninfo is None:
            return set()
        import psycopg

        ports = local_ports()
        with psycopg.connect(self._conninfo, autocommit=True) as connection:
            rows = connection.execute(
                "SELECT pid, client_port FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
            ).fetchall()
        return {pid for pid, port in rows if port in ports}

    def now(self) -> tuple[float, dict[int, float]]:
        pids = self.backends()
        return time.process_time(), self._times(pids)

    def since(self, start: tuple[float, dict[int, float]]) -> float:
        """CPU seconds spent since `start` (a backend first seen now counts in full)."""
        own, before = start
        spent = time.process_time() - own  # before the query below costs this process anything
        after = self._times(self.backends() | set(before))
        return spent + sum(t - before.get(pid, 0.0) for pid, t in after.items())

    @staticmethod
    def _times(pids: Iterable[int]) -> dict[int, float]:
        out = {}
        for pid in pids:
            cpu = _cpu_of(pid)
            if cpu is not None:
                out[pid] = cpu
        return out
