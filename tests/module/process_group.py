"""Stopping a browser started with start_new_session=True: its process group holds the browser
and every helper it started (content processes, renderers, zygote), and nothing else."""
import os
import signal
import subprocess
import time


def stop_group(proc, deadline=10.0):
    """SIGTERM to the group, SIGKILL after `deadline`, then waits until no process of it is left
    (a helper still writing to the profile would race the removal of the test folder)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=deadline)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            break
        if proc.poll() is None:
            proc.wait(timeout=deadline)
        time.sleep(0.02)
    proc.wait(timeout=deadline)
