#!/usr/bin/env python3
"""Timing helper of bench/run.mjs, run inside the benchmark's namespace.

Reads one JSON job per line on stdin: {"argv": [...], "stdout": PATH|null}
runs it (stdout to PATH or /dev/null, stderr kept), and answers one JSON line:
{"ms": wall time, "rssKb": the child's peak RSS (wait4 rusage), "status": exit
status, "stderr": its first 2000 bytes}. Spawning here, not from the runner,
keeps `ip netns exec` out of the timings and gives the exact peak RSS.
"""
import json
import os
import sys
import tempfile
import time

err_path = os.path.join(tempfile.gettempdir(), f'ssx-bench-stderr-{os.getpid()}')
try:
    for line in sys.stdin:
        job = json.loads(line)
        out = os.open(job.get('stdout') or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, err, 2)]
        t0 = time.perf_counter_ns()
        pid = os.posix_spawnp(job['argv'][0], job['argv'], os.environ, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        ms = (time.perf_counter_ns() - t0) / 1e6
        os.close(out)
        os.close(err)
        with open(err_path, 'rb') as f:
            stderr = f.read(2000).decode(errors='replace')
        print(json.dumps({'ms': ms, 'rssKb': usage.ru_maxrss, 'status': os.waitstatus_to_exitcode(status),
                          'stderr': stderr}), flush=True)
finally:
    try:
        os.unlink(err_path)
    except FileNotFoundError:
        pass
