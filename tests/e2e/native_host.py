"""Drives sithsd-native-host over its pipes as the browser does: framed messages in, framed
messages out, read by a thread into a queue so that every wait has a deadline."""
import json
import os
import queue
import struct
import subprocess
import threading

from harness import DEADLINE

NATIVE_HOST = os.environ.get("SITHSD_NATIVE_HOST", "sithsd-native-host")
CHROME_CALLER = "chrome-extension://dhcgobcphckpalnkldnainiihecbaibm/"


def frame(body):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return struct.pack("=I", len(data)) + data


class NativeHost:
    def __init__(self, socket_path, args=(CHROME_CALLER,), program=NATIVE_HOST):
        self.proc = subprocess.Popen([program, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=dict(os.environ, SITHSD_SOCKET=socket_path))
        self.messages = queue.Queue()
        self.skipped = []  # envelopes passed over while waiting for a given answer
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        out = self.proc.stdout
        while True:
            prefix = out.read(4)
            if len(prefix) < 4:
                self.messages.put(None)
                return
            (length,) = struct.unpack("=I", prefix)
            assert length <= 1024 * 1024, "the host sent more than 1 MiB"
            self.messages.put(json.loads(out.read(length)))

    def write(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, channel, origin, method, params=None, id_=1):
        message = {"jsonrpc": "2.0", "id": id_, "method": method}
        if params is not None:
            message["params"] = params
        self.write(frame({"channel": channel, "origin": origin, "message": message}))

    def next(self, deadline=DEADLINE):
        """The next envelope from the host (passed-over ones first); None when it closed its output."""
        if self.skipped:
            return self.skipped.pop(0)
        return self.messages.get(timeout=deadline)

    def answer(self, id_=1, deadline=DEADLINE):
        """The answer with that id; other envelopes are kept for next() and answer()."""
        for envelope in self.skipped:
            if envelope.get("message", {}).get("id") == id_:
                self.skipped.remove(envelope)
                return envelope
        while True:
            envelope = self.messages.get(timeout=deadline)
            assert envelope is not None, "the host ended instead of answering"
            if envelope.get("message", {}).get("id") == id_:
                return envelope
            self.skipped.append(envelope)

    def call(self, channel, origin, method, params=None, id_=1):
        self.send(channel, origin, method, params, id_)
        return self.answer(id_)["message"]

    def end(self, timeout=DEADLINE):
        """Closes the host's input (the browser closed the port); returns its exit code."""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        return self.proc.wait(timeout=timeout)

    def close(self):
        self.end()
        self.proc.stdout.close()
        self.proc.stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def stderr(self):
        return self.proc.stderr.read().decode(errors="replace")
