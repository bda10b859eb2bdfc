#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""fnlaunch.py: start serverless "functions" as cheaply as a container
runtime's init could, for particle/lab/bench.sh.

Reads lines "NETNS_PATH ADDR" on stdin; for each line, at once, forks a
function that joins the network namespace NETNS_PATH (setns), gets its own
mount (private propagation), uts, ipc and pid namespaces (unshare, then a
fork: the function is pid 1 of its pid namespace) and opens a TCP connection
from ADDR to LEADER:PORT, retrying until it gets through.  Exits when every
function has finished: status 0 if all got through, else 1 (the number of
failures on stderr; FNLAUNCH_STATS=1 adds how many tries they needed).

The same launcher starts the functions of a particle job and those of the
per-function overlay, so that only the network setup differs.

usage: fnlaunch.py LEADER PORT [TRIES] [INTERVAL] [TIMEOUT]
       fnlaunch.py --serve ADDR PORT LOG

--serve is the leader: accepts connections on ADDR:PORT in the current
network namespace without forking (a forking server would make the leader
the bottleneck of the benchmark) and logs each one to LOG in socat's -d -d
format ("... accepting connection from AF=2 A.B.C.D:P on ..."), which
lab_reached in lib.sh reads.
"""
import ctypes
import os
import socket
import sys
import time

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18

libc = ctypes.CDLL(None, use_errno=True)


def check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def function(nspath, addr, leader, port, tries, interval, timeout):
    """Runs in the forked child; never returns."""
    try:
        fd = os.open(nspath, os.O_RDONLY)
        check(libc.setns(fd, CLONE_NEWNET), "setns " + nspath)
        os.close(fd)
        check(libc.unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID),
              "unshare")
        check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None),
              "mount --make-rprivate /")
        pid = os.fork()
        if pid:
            _, status = os.waitpid(pid, 0)
            os._exit(os.waitstatus_to_exitcode(status) & 0xff)
        # pid 1 of the function's pid namespace
        for attempt in range(1, tries + 1):
            s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET,
                              socket.SOCK_STREAM)
            s.settimeout(timeout)
            try:
                s.bind((addr, 0))
                s.connect((leader, port))
                s.close()
                os._exit(min(attempt, 253))
            except OSError:
                s.close()
                time.sleep(interval)
        os._exit(254)
    except BaseException as e:  # noqa: BLE001 - report and die, whatever it is
        print(f"fnlaunch: {nspath} {addr}: {e}", file=sys.stderr)
        os._exit(255)


def serve(addr, port, log):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET,
                      socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(4096)
    with open(log, "a", buffering=1) as f:
        f.write(f"fnlaunch[{os.getpid()}] N listening on {addr}:{port}\n")
        while True:
            c, peer = s.accept()
            f.write(f"fnlaunch[{os.getpid()}] N accepting connection from "
                    f"AF={c.family.value} {peer[0]}:{peer[1]} on {addr}:{port}\n")
            c.close()


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return 0
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    leader, port = sys.argv[1], int(sys.argv[2])
    tries = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    interval = float(sys.argv[4]) if len(sys.argv) > 4 else 0.1
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 0.5
    children = 0
    for line in sys.stdin:
        words = line.split()
        if len(words) != 2:
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:
            function(words[0], words[1], leader, port, tries, interval, timeout)
        children += 1
    failed = 0
    attempts = []
    for _ in range(children):
        _, status = os.wait()
        code = os.waitstatus_to_exitcode(status)
        if code < 1 or code > 253:
            failed += 1
        else:
            attempts.append(code)
    if failed:
        print(f"fnlaunch: {failed} of {children} functions failed", file=sys.stderr)
    if os.environ.get("FNLAUNCH_STATS") and attempts:
        attempts.sort()
        print(f"fnlaunch: {len(attempts)} functions, attempts median "
              f"{attempts[len(attempts) // 2]} max {attempts[-1]}, "
              f"{sum(1 for a in attempts if a > 1)} needed more than one",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
