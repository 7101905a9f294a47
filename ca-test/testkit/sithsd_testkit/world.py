"""`world DIR`: the test world (make-world), made once and shared: several workers that ask for the
same DIR at once wait for one another (an flock), and a world made today with the same options is
used as it is."""
import fcntl
import json
import os
import subprocess

from .processes import TestkitError, free_port


def world_file(path):
    return os.path.join(path, "world.json")


def read_world(path):
    """world.json of a world made by make-world, with its folder made absolute."""
    try:
        with open(world_file(path), encoding="utf-8") as f:
            world = json.load(f)
    except FileNotFoundError:
        raise TestkitError(f"{path} is no test world (no world.json): run `sithsd-testkit world {path}`")
    except json.JSONDecodeError as e:
        raise TestkitError(f"{world_file(path)}: {e}")
    world["dir"] = os.path.abspath(path)
    return world


def make_world(layout, path, cards=(), origins=(), ocsp_port=None):
    """Makes (or finds up to date) the world in `path`; returns its world.json. Without an OCSP
    port, a world that already has one keeps it, and a new world gets a free one (the port is in
    the certificates' AIA, so two worlds on one runner must not share 8889)."""
    os.makedirs(path, exist_ok=True)
    path = os.path.abspath(path)
    with open(os.path.join(path, ".world.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ocsp_port is None:
            try:
                ocsp_port = read_world(path)["ocspPort"]
            except TestkitError:
                ocsp_port = free_port()
        argv = [layout["make_world"], path, "--module", layout["softcard_module"], "--no-softhsm",
                "--ocsp-port", str(ocsp_port)]
        for card in cards:
            argv += ["--card", card]
        for origin in origins:
            argv += ["--origin", origin]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise TestkitError(f"make-world failed ({out.returncode}):\n{out.stderr.strip()}")
        return read_world(path)


def card_names(world):
    return [card["name"] for card in world["cards"]]
