#!/usr/bin/env python3
"""A stand-in for pinfs's control socket (docs/control.md), for testing forkstress's ledger
check without the daemon. It answers `ping`, `stats`, `forker`, `release`; it refuses `hold`.

  fake-control.py SOCKET clean   stats always show a balanced ledger
  fake-control.py SOCKET dirty   from the second `stats` on: a leaked pin, violations
                                 (fork_unprotected, leak) and warnings grow with each call
"""
import json
import os
import signal
import socketserver
import sys

path, mode = sys.argv[1], sys.argv[2]
calls = 0


def stats():
    global calls
    calls += 1
    bad = mode == "dirty" and calls > 1
    n = calls if bad else 0
    return {
        "ok": True,
        "pins": {"acquired": 100 + n, "released": 100, "outstanding": n, "get_acquired": 0,
                 "get_released": 0, "listed": 0, "dirtied": 0, "has_pinned": True},
        "violations": {"unpin_unpinned": 0, "put_unreferenced": 0, "put_pinned": 0, "leak": n,
                       "reuse_pinned": 0, "free_pinned": 0, "write_source_pinned": 0,
                       "fork_unprotected": n, "total": 2 * n},
        "warnings": n,
        "bytes": {"direct": 0, "bounced": 0, "buffered": 0, "spliced": 0},
        "engines": {"sync": {"read": 0, "write": 0,
                             "latency_us": {"p50": 0, "p90": 0, "p99": 0, "max": 0}}},
        "holds": {"armed": 0, "held": 0},
    }


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        for raw in self.rfile:
            words = raw.decode().split()
            cmd = words[0] if words else ""
            if cmd == "ping":
                ans = {"ok": True, "version": "fake", "pid": os.getpid()}
            elif cmd == "stats":
                ans = stats()
            elif cmd in ("forker", "release"):
                ans = {"ok": True, "released": 0, "forks": 0}
            else:
                ans = {"ok": False, "error": "fake control socket: %s unsupported" % cmd}
            self.wfile.write((json.dumps(ans) + "\n").encode())
            self.wfile.flush()


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
if os.path.exists(path):
    os.unlink(path)
with Server(path, Handler) as srv:
    srv.serve_forever()
