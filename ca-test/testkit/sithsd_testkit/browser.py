"""`browser chromium|firefox DIR`: a browser profile for headless runs against an instance.

Into DIR: the sithsd extension (loaded unpacked) and its native-messaging host (a manifest in the
profile, naming a small wrapper that points the host at this instance's socket), the browser PKCS#11
module in the profile's NSS database (FRIENDLY: NSS lists its certificates without a login), the
world's root trusted for TLS, and the choice of the HSA-ID certificate for TLS client login on the
given origins without a pop-up. Nothing outside DIR changes (no /etc, no ~/.pki of the person):
the browser runs with HOME=DIR/home and SITHSD_SOCKET set, as the printed launch says.

Measured headless with Debian's browsers (Chromium 156, Firefox ESR 153): Chromium reads
`AutoSelectCertificateForUrls` as policy only from /etc, has no switch for a policy folder in
Debian's build (--policy is ignored), but takes the same rule as the content setting
`auto_select_certificate` in the profile's Default/Preferences; Firefox takes
`security.default_personal_cert = "Select Automatically"` from the profile's user.js."""
import json
import os
import shlex
import subprocess

from .processes import TestkitError

EXTENSION_CHROMIUM_ID = "dhcgobcphckpalnkldnainiihecbaibm"  # from the key in its manifest
EXTENSION_FIREFOX_ID = "extension@sithsd.se"
HOST_NAME = "se.sithsd.native_host"
ROOT_NICKNAME = "sithsd-testkit root (test keys only)"
# Only HSA-ID identification certificates for TLS login (the module offers no other by default).
HSA_ID_ISSUER = "TEST SITHS e-id Person HSA-id 3 CA v1"
# The content scripts' matches, which Firefox counts as the extension's host permissions.
CONTENT_ORIGINS = ["https://*/*", "http://localhost/*", "http://127.0.0.1/*"]
CHROMIUM_FLAGS = ["--no-first-run", "--no-default-browser-check", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update", "--disable-gpu"]
FIREFOX_PREFS = {
    # The TLS certificate pop-up answered with the first certificate that fits the server's CAs.
    "security.default_personal_cert": "Select Automatically",
    "xpinstall.signatures.required": False,  # the unpacked extension (ESR honours it)
    "extensions.autoDisableScopes": 0,
    "extensions.enabledScopes": 15,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.aboutwelcome.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.update.disabledForTesting": True,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "security.OCSP.enabled": 0,  # the world's TLS server certificate names no responder
}


def _tool(argv, env):
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
    if out.returncode != 0:
        raise TestkitError(f"{' '.join(argv[:2])}: {(out.stdout + out.stderr).strip()}")


def _nss_database(db_dir, inst, env):
    """A new NSS database with the module (FRIENDLY) and the world's root trusted for TLS."""
    os.makedirs(db_dir, exist_ok=True)
    db = "sql:" + db_dir
    if not os.path.exists(os.path.join(db_dir, "cert9.db")):
        _tool(["certutil", "-N", "-d", db, "--empty-password"], env)
    _tool(["modutil", "-dbdir", db, "-add", "sithsd", "-libfile", inst["browserModule"],
           "-mechanisms", "FRIENDLY", "-force"], env)
    _tool(["certutil", "-A", "-d", db, "-n", ROOT_NICKNAME, "-t", "C,,", "-i", inst["rootPem"]], env)


def _host_wrapper(profile, inst):
    """The host as the browser starts it, pointed at this instance's socket."""
    path = os.path.join(profile, "sithsd-native-host")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n# sithsd-testkit: the native host for the instance in "
                f"{inst['runDir']}\nSITHSD_SOCKET={shlex.quote(inst['socket'])} "
                f"exec {shlex.quote(inst['nativeHost'])} \"$@\"\n")
    os.chmod(path, 0o755)
    return path


def _host_manifest(folder, host, allowed):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"{HOST_NAME}.json"), "w") as f:
        json.dump({"name": HOST_NAME, "description": "sithsd native-messaging host (sithsd-testkit)",
                   "path": host, "type": "stdio", **allowed}, f, indent=2)


def _content_setting_pattern(origin):
    return f"{origin},*"


def _merge_json(path, update):
    data = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    update(data)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)


def _launch_env(home, inst):
    return {"HOME": home, "SITHSD_SOCKET": inst["socket"], "MOZ_CRASHREPORTER_DISABLE": "1"}


def prepare_chromium(inst, profile, origins, extension=True):
    profile = os.path.abspath(profile)
    home = os.path.join(profile, "home")
    launch_env = _launch_env(home, inst)
    env = dict(os.environ, **launch_env)
    _nss_database(os.path.join(home, ".pki", "nssdb"), inst, env)  # Chromium's is $HOME's
    # With a user data dir of its own, Chromium looks for host manifests in it.
    _host_manifest(os.path.join(profile, "NativeMessagingHosts"), _host_wrapper(profile, inst),
                   {"allowed_origins": [f"chrome-extension://{EXTENSION_CHROMIUM_ID}/"]})
    rules = {_content_setting_pattern(o): {"setting": {"filters": [{"ISSUER": {"CN": HSA_ID_ISSUER}}]}}
             for o in origins}
    os.makedirs(os.path.join(profile, "Default"), exist_ok=True)
    _merge_json(os.path.join(profile, "Default", "Preferences"),
                lambda prefs: prefs.setdefault("profile", {}).setdefault("content_settings", {})
                .setdefault("exceptions", {}).setdefault("auto_select_certificate", {}).update(rules))
    args = list(CHROMIUM_FLAGS)
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    if extension:
        args += [f"--disable-extensions-except={inst['extension']}", f"--load-extension={inst['extension']}"]
    launch = {"browser": "chromium", "executable": "/usr/bin/chromium", "userDataDir": profile,
              "args": args, "env": launch_env, "clientCertificateOrigins": origins,
              "extensionId": EXTENSION_CHROMIUM_ID if extension else None}
    launch["command"] = _command(launch_env, [launch["executable"], "--headless",
                                              f"--user-data-dir={profile}", *args])
    return _save(profile, launch)


def prepare_firefox(inst, profile, origins, extension=True):
    profile = os.path.abspath(profile)
    home = os.path.join(profile, "home")
    launch_env = _launch_env(home, inst)
    env = dict(os.environ, **launch_env)
    os.makedirs(profile, exist_ok=True)
    _nss_database(profile, inst, env)  # a Firefox profile's NSS database is the profile folder
    with open(os.path.join(profile, "user.js"), "w") as f:
        for name, value in FIREFOX_PREFS.items():
            f.write(f"user_pref({json.dumps(name)}, {json.dumps(value)});\n")
    if extension:
        # An extension proxy file: named by the id, holding the unpacked extension's folder.
        os.makedirs(os.path.join(profile, "extensions"), exist_ok=True)
        with open(os.path.join(profile, "extensions", EXTENSION_FIREFOX_ID), "w") as f:
            f.write(inst["extension"])
        _merge_json(os.path.join(profile, "extension-preferences.json"),
                    lambda prefs: prefs.update({EXTENSION_FIREFOX_ID: {
                        "permissions": [], "origins": CONTENT_ORIGINS, "data_collection": []}}))
        _host_manifest(os.path.join(home, ".mozilla", "native-messaging-hosts"),
                       _host_wrapper(profile, inst), {"allowed_extensions": [EXTENSION_FIREFOX_ID]})
    args = ["--no-remote", "--profile", profile]
    launch = {"browser": "firefox", "executable": "/usr/bin/firefox-esr", "profile": profile,
              "args": args, "env": launch_env, "prefs": FIREFOX_PREFS,
              "clientCertificateOrigins": origins, "extensionId": EXTENSION_FIREFOX_ID if extension else None}
    launch["command"] = _command(launch_env, [launch["executable"], "--headless", *args])
    return _save(profile, launch)


def _command(env, argv):
    return " ".join(["env", *(f"{k}={shlex.quote(v)}" for k, v in env.items()), *map(shlex.quote, argv)])


def _save(profile, launch):
    with open(os.path.join(profile, "sithsd-testkit-launch.json"), "w", encoding="utf-8") as f:
        json.dump(launch, f, indent=2)
    return launch


def prepare(inst, which, profile, origins, extension=True):
    if which == "chromium":
        return prepare_chromium(inst, profile, origins, extension)
    if which == "firefox":
        return prepare_firefox(inst, profile, origins, extension)
    raise TestkitError(f"no browser {which!r} (chromium or firefox)")
