"""The world's OCSP responder, shared by every `up` on that world.

The responder's port is in the certificates' AIA, so there can be one per world. The first `up`
starts it; each `up` registers itself in WORLD/.ocsp/users/; `down` removes its entry and stops the
responder when no living instance is left. All of it under one flock (WORLD/.ocsp/lock), so that
two `up` or `down` at once never start two responders or stop one still in use."""
import contextlib
import fcntl
import json
import os

from .processes import TestkitError, alive, listening, spawn, stop, tail, wait_until


def _dir(world):
    path = os.path.join(world["dir"], ".ocsp")
    os.makedirs(os.path.join(path, "users"), exist_ok=True)
    return path


@contextlib.contextmanager
def _locked(world):
    path = _dir(world)
    with open(os.path.join(path, "lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield path


def _read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _write(path, data):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def acquire(layout, world, instance_id, sithsd_record_path):
    """Registers the instance and makes sure the responder runs; returns its record."""
    port = world["ocspPort"]
    with _locked(world) as path:
        _write(os.path.join(path, "users", instance_id), {"instance": sithsd_record_path})
        responder = _read(os.path.join(path, "responder.json"))
        if alive(responder) and listening(port):
            return responder
        if not listening(port):
            log = os.path.join(path, "responder.log")
            record = spawn([layout["ocsp_responder"], world["dir"], str(port)], log, dict(os.environ))
            try:
                wait_until(lambda: listening(port) or not alive(record), f"the OCSP responder on port {port}")
            except TestkitError:
                stop(record)
                raise
            if not alive(record):
                raise TestkitError(f"the OCSP responder did not start on port {port}: {tail(log)}")
            _write(os.path.join(path, "responder.json"), record)
            return record
        raise TestkitError(
            f"port {port} (the OCSP port in this world's certificates) is in use by another program; "
            f"make the world with another --ocsp-port")


def release(world, instance_id, is_running):
    """Removes the instance's entry; stops the responder when no instance that `is_running`
    (a function of the entry) is left. True when it stopped the responder."""
    with _locked(world) as path:
        users = os.path.join(path, "users")
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(users, instance_id))
        for name in os.listdir(users):
            entry = _read(os.path.join(users, name))
            if entry and is_running(entry):
                return False
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(users, name))  # an instance that died without `down`
        responder = _read(os.path.join(path, "responder.json"))
        stopped = stop(responder) if responder else False
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(path, "responder.json"))
        return stopped
