"""`up` and `down`: a private sithsd on the soft card of a world.

Everything an instance owns lives in its run folder (0700): sithsd.toml, the socket, the soft
card's insertion and PIN state (the world's cards, copied by reference: the keys stay in the
world), the pinentry script and its log, the audit log, the logs, instance.json (what `down` and
the other commands read) and the env file. Nothing is global: a free port, no systemd, no /etc,
and the environment of the daemon is built here, not inherited (no DBus address, so no desktop
notification; no LISTEN_FDS; XDG folders inside the run folder)."""
import json
import os
import shutil
import socket
import tempfile
import time

from . import ocsp
from .processes import (DEADLINE, TestkitError, alive, exit_status, free_port, port_is_free, spawn,
                        stop, tail, wait_until)
from .world import read_world

INSTANCE = "instance.json"
ENV_FILE = "sithsd-testkit.env"
# The scripted pinentry's "wrong" PIN: every test card's PINs are 123456 / 654321.
WRONG_PIN = "000000"


def _write_json(path, data):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, path)


def read_instance(run_dir):
    if not run_dir:
        raise TestkitError("which instance? give --run DIR or set SITHSD_TESTKIT_RUN (the env file of `up` does)")
    try:
        with open(os.path.join(run_dir, INSTANCE), encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise TestkitError(f"no instance in {run_dir} (already down?)")


def _toml_string(value):
    return json.dumps(value, ensure_ascii=False)  # a TOML basic string is a JSON string


def _config(inst, options):
    origins = ", ".join(_toml_string(o) for o in inst["origins"])
    return "\n".join([
        "# sithsd for sithsd-testkit (test keys only): written by `sithsd-testkit up`.",
        f"port = {inst['port']}",
        f"unix_socket = {_toml_string(inst['socket'])}",
        f"modules = [{_toml_string(inst['softcardModule'])}]",
        f"pinentry = {_toml_string(inst['pinentry'])}",
        f"allowed_origins = [{origins}]",
        # An origin not on the list is refused at the handshake instead of a consent prompt that
        # would take the next scripted answer.
        "prompt_unknown_origins = false",
        f"prompt_timeout_seconds = {options.prompt_timeout}",
        f"language = {_toml_string(options.language)}",
        f"state_dir = {_toml_string(os.path.join(inst['runDir'], 'state'))}",
        f"audit_log = {_toml_string(os.path.join(inst['runDir'], 'state', 'audit.jsonl'))}",
        "rate_limit_per_minute = 0",  # a test suite logs in far more often than a person
        "desktop_reminders = false",
        "",
    ])


def _softcard_conf(world, run_dir):
    """The world's soft-card configuration with absolute card folders and a state of our own."""
    with open(os.path.join(world["dir"], "softcard.json"), encoding="utf-8") as f:
        conf = json.load(f)
    for card in conf["cards"]:
        card["path"] = os.path.join(world["dir"], card["path"])
    conf["state"] = os.path.join(run_dir, "softcard-state.json")
    path = os.path.join(run_dir, "softcard.json")
    _write_json(path, conf)
    return path


def _daemon_env(inst):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", inst["runDir"]),
        "LANG": "C.UTF-8",
        "XDG_RUNTIME_DIR": inst["runDir"],
        "XDG_STATE_HOME": os.path.join(inst["runDir"], "state"),
        "XDG_CONFIG_HOME": os.path.join(inst["runDir"], "config"),
        "SOFTCARD_CONF": inst["softcardConf"],
        "SITHSD_PINENTRY_SCRIPT": inst["pinentryScript"],
        "SITHSD_PINENTRY_LOG": inst["promptLog"],
    }
    for name in ("TMPDIR", "LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS"):  # sanitizer builds
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _hello(socket_path):
    """sithsd's answer to `hello` on its Unix socket, or None while it does not answer."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(socket_path)
            s.sendall(b'{"jsonrpc":"2.0","id":"testkit-up","method":"hello"}\n')
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    return None
                data += chunk
        return json.loads(data).get("result")
    except (OSError, ValueError):
        return None


def _new_run_dir(options):
    if options.run:
        os.makedirs(options.run, mode=0o700, exist_ok=True)
        if os.path.exists(os.path.join(options.run, INSTANCE)):
            inst = read_instance(options.run)
            if alive(inst.get("sithsd")):
                raise TestkitError(f"{options.run} already has a running instance (`down` first)")
        return os.path.abspath(options.run), getattr(options, "run_made", False)
    return tempfile.mkdtemp(prefix="sithsd-testkit-"), True


def up(layout, options):
    """Starts the instance; returns its description (also in RUN/instance.json)."""
    world = read_world(options.world)
    run_dir, made_run_dir = _new_run_dir(options)
    os.chmod(run_dir, 0o700)
    for sub in ("run", "state", "config"):
        os.makedirs(os.path.join(run_dir, sub), mode=0o700, exist_ok=True)
    port = options.port or free_port()
    if options.port and not port_is_free(port):
        raise TestkitError(f"port {port} is in use")
    origins = list(dict.fromkeys(world["origins"] + (options.origin or [])))
    inst = {
        "id": os.path.basename(run_dir) + f"-{os.getpid()}",
        "runDir": run_dir, "madeRunDir": made_run_dir, "world": world["dir"],
        "port": port, "wsUrl": f"ws://127.0.0.1:{port}/v1",
        "socket": os.path.join(run_dir, "run", "sithsd.sock"),
        "rootPem": world["rootPem"], "chainPem": world["chainPem"],
        "ocspUrl": world["ocspUrl"], "origins": origins,
        "softcardModule": layout["softcard_module"], "pinentry": layout["scripted_pinentry"],
        "pinentryScript": os.path.join(run_dir, "pinentry-script"),
        "promptLog": os.path.join(run_dir, "prompts.jsonl"),
        "auditLog": os.path.join(run_dir, "state", "audit.jsonl"),
        "log": os.path.join(run_dir, "sithsd.log"),
        "envFile": os.path.join(run_dir, ENV_FILE),
        "browserModule": layout["browser_module"], "nativeHost": layout["native_host"],
        "extension": layout["extension"], "sithsctl": layout["sithsctl"],
        "cards": world["cards"],
        "pins": {"identification": "123456", "signing": "654321", "puk": "12345678", "wrong": WRONG_PIN},
    }
    inst["softcardConf"] = _softcard_conf(world, run_dir)
    open(inst["pinentryScript"], "w").close()
    config = os.path.join(run_dir, "sithsd.toml")
    with open(config, "w", encoding="utf-8") as f:
        f.write(_config(inst, options))
    started = time.monotonic()
    try:
        inst["sithsd"] = spawn([layout["sithsd"], "--config", config], inst["log"], _daemon_env(inst))
        _write_json(os.path.join(run_dir, INSTANCE), inst)
        inst["ocspResponder"] = ocsp.acquire(layout, world, inst["id"], os.path.join(run_dir, INSTANCE))
        _write_json(os.path.join(run_dir, INSTANCE), inst)
        hello = wait_until(lambda: _hello(inst["socket"]) or _check_running(inst), "sithsd to answer",
                           deadline=max(DEADLINE, options.timeout))
    except BaseException:
        # Whatever was started goes; the logs stay where the caller named the folder.
        if os.path.exists(os.path.join(run_dir, INSTANCE)):
            down(layout, run_dir, keep=not made_run_dir)
        elif made_run_dir:
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    inst["version"] = hello.get("version")
    inst["upSeconds"] = round(time.monotonic() - started, 3)
    _write_json(os.path.join(run_dir, INSTANCE), inst)
    write_env_file(inst, inst["envFile"])
    if options.env_file:
        write_env_file(inst, options.env_file, append=True)
    return public(inst)


def _check_running(inst):
    if not alive(inst["sithsd"]):
        raise TestkitError(f"sithsd exited ({exit_status(inst['sithsd'])}):\n{tail(inst['log'])}")
    return None


def public(inst):
    """What `up` prints: everything a test needs, nothing of the bookkeeping."""
    hidden = ("madeRunDir", "sithsd", "ocspResponder", "softcardConf", "pinentry")
    return {k: v for k, v in inst.items() if k not in hidden}


def env_lines(inst):
    cards = inst["cards"]
    lines = {
        "SITHSD_TESTKIT_RUN": inst["runDir"],
        "SITHSD_WS_URL": inst["wsUrl"],
        "SITHSD_PORT": str(inst["port"]),
        "SITHSD_SOCKET": inst["socket"],
        "SITHSD_ROOT_CA": inst["rootPem"],
        "SITHSD_CHAIN": inst["chainPem"],
        "SITHSD_OCSP_URL": inst["ocspUrl"],
        "SITHSD_ALLOWED_ORIGINS": ",".join(inst["origins"]),
        "SITHSD_CARDS": ",".join(c["name"] for c in cards),
        "SITHSD_ID_PIN": inst["pins"]["identification"],
        "SITHSD_SIGN_PIN": inst["pins"]["signing"],
        "SITHSD_PUK": inst["pins"]["puk"],
        "SITHSD_WRONG_PIN": inst["pins"]["wrong"],
    }
    for card in cards:
        key = card["name"].upper().replace("-", "_")
        lines[f"SITHSD_CARD_{key}_HSA_ID"] = card["hsaId"]
    return lines


def env_value(value):
    """As it is when a shell and a dotenv reader (and $GITHUB_ENV) take it the same way; else in
    single quotes, which a shell reads right (a dotenv reader strips them too)."""
    if value and all(c.isalnum() or c in "_./:,@%+=-" for c in value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


def write_env_file(inst, path, append=False):
    with open(path, "a" if append else "w", encoding="utf-8") as f:
        for key, value in env_lines(inst).items():
            f.write(f"{key}={env_value(value)}\n")


def down(layout, run_dir, keep=False):
    """Stops the daemon (and its pinentries) and releases the world's responder; removes the run
    folder unless `keep` or the caller named it. Returns what was stopped."""
    inst = read_instance(run_dir)
    stopped = {"sithsd": stop(inst.get("sithsd")) if inst.get("sithsd") else False}

    def running(entry):
        try:
            with open(entry["instance"], encoding="utf-8") as f:
                return alive(json.load(f).get("sithsd"))
        except (OSError, ValueError, KeyError):
            return False

    try:
        world = read_world(inst["world"])
        stopped["ocspResponder"] = ocsp.release(world, inst["id"], running)
    except TestkitError:
        stopped["ocspResponder"] = False  # the world is gone; its responder cannot be ours alone
    if keep:  # the logs and the state, for a look after a failure
        os.remove(os.path.join(run_dir, INSTANCE))
    elif inst.get("madeRunDir"):
        shutil.rmtree(run_dir, ignore_errors=True)
    else:
        _remove_contents(run_dir)
    return stopped


def _remove_contents(run_dir):
    for name in os.listdir(run_dir):
        path = os.path.join(run_dir, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.remove(path)
