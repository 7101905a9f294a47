#!/usr/bin/python3
"""check_wire_errors.py ROOT DUMP: every listing of the wire errors in the tree agrees with the one
table, protocol/wire_errors.hpp (DUMP is the wire_errors_dump program, which prints it as JSON).

Checked, not generated: each listing attaches words of its own to the names (the TypeScript
client's advice, the demo's Swedish sentences, the module's CK_RV, sithsctl's sentences), and the
npm and Python packages build from their own folders without CMake. So each stays hand-written and
this test fails on any difference: a reason or code missing, extra or changed, a retryable flag
that disagrees, a range that no longer covers the table.
"""
import ast
import json
import re
import subprocess
import sys
from pathlib import Path

root = Path(sys.argv[1])
table = json.loads(subprocess.run([sys.argv[2]], check=True, capture_output=True, text=True).stdout)
rows = {(e["code"], e["reason"], e["retryable"]) for e in table["errors"]}
reasons = {e["reason"] for e in table["errors"]}
host = {(e["code"], e["reason"]) for e in table["host"]}
host_reasons = {e["reason"] for e in table["host"]}
daemon_rows = {r for r in rows if r[0] >= 1000}
jsonrpc_rows = {r for r in rows if r[0] < 0}
problems = []


def read(path):
    return (root / path).read_text(encoding="utf-8")


def compare(where, found, wanted):
    if found != wanted:
        missing = sorted(wanted - found, key=str)
        extra = sorted(found - wanted, key=str)
        problems.append(f"{where}: missing {missing}, not in the table {extra}")


# The TypeScript client: a class per reason (name, code, retryable) and JSON-RPC's names by code.
ts = read("browser-bridge/client/src/errors.ts")
compare("browser-bridge/client/src/errors.ts daemonError(...)",
        {(int(c), r, f == "true") for r, c, f in
         re.findall(r'daemonError\("([A-Z_]+)", (-?\d+), (true|false)', ts)}, daemon_rows)
compare("browser-bridge/client/src/errors.ts jsonRpcReasons",
        {(int(c), r) for c, r in re.findall(r'\[(-\d+)\]: "([A-Z_]+)"', ts)},
        {(c, r) for c, r, _ in jsonrpc_rows})
ts_local = set(re.findall(r'super\("([A-Z_]+)"', ts))

# The demo portal's words: one per daemon reason (PIN_INCORRECT is worded by pinMessage() from
# the PIN's status), and no word for a reason nobody sends.
messages = read("browser-bridge/demo/web/messages.ts")
keys = set(re.findall(r"^  ([A-Z_]+): \{", messages, re.M))
if "function pinMessage" in messages:
    keys.add("PIN_INCORRECT")
compare("browser-bridge/demo/web/messages.ts (daemon reasons)", keys & reasons,
        {r for _, r, _ in daemon_rows})
unknown = keys - reasons - host_reasons - ts_local
if unknown:
    problems.append(f"browser-bridge/demo/web/messages.ts: words for unknown reasons {sorted(unknown)}")

# The extension's Web eID mapping takes sithsd's own codes as one range.
webeid = read("browser-bridge/extension/webeid.js")
ranges = re.findall(r"error\.code >= (\d+) && error\.code <= (\d+)", webeid)
codes = sorted(c for c, _, _ in daemon_rows)
if ranges != [(str(codes[0]), str(codes[-1]))]:
    problems.append(f"browser-bridge/extension/webeid.js: the range {ranges} is not {codes[0]}..{codes[-1]}")

# The Python client's table is the same table.
python = ast.parse(read("client/python/sithsd/_errors.py"))
for node in python.body:
    if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "WIRE_ERRORS":
        compare("client/python/sithsd/_errors.py WIRE_ERRORS", set(ast.literal_eval(node.value)), rows)
        break
else:
    problems.append("client/python/sithsd/_errors.py: no WIRE_ERRORS")

# The C header's statuses for the daemon's codes (the library's own are 0..99, 1999 is "newer").
header = read("client/include/sithsd/client.h")
compare("client/include/sithsd/client.h",
        {(int(c), r) for r, c in re.findall(r"SITHSD_E_([A-Z_]+) = (-?\d+)", header)
         if int(c) < 0 or 1000 <= int(c) < 1999},
        {(c, r) for c, r, _ in rows})

# The contract's table.
protocol = read("docs/PROTOCOL.md")
compare("docs/PROTOCOL.md Errors",
        {(int(c), r) for c, r in re.findall(r"^\| (\d{4}) \| ([A-Z_]+) \|", protocol, re.M)},
        {(c, r) for c, r, _ in daemon_rows})

# C++ that names reasons as text: sithsctl's sentences, the browser module's CK_RV, the host's
# own answers. Every name must be one of the table's (a typo or a stale name fails).
for path, pattern in (("daemon/ctl_messages.cpp", r'\{"([A-Z_]+)",\s*\{'),
                      ("browser-bridge/pkcs11-module/daemon_link.cpp", r'\{"([A-Z_]+)", CKR_')):
    named = set(re.findall(pattern, read(path)))
    if not named or named - reasons - host_reasons:
        problems.append(f"{path}: unknown reasons {sorted(named - reasons - host_reasons)}")
for path in ("browser-bridge/native-host/relay.cpp", "browser-bridge/native-host/main.cpp"):
    for code, reason in re.findall(r'error_answer\([^,]+,\s*(-?\d+|host_error_code),\s*"([A-Z_]+)"',
                                   read(path)):
        pair = (-32000 if code == "host_error_code" else int(code), reason)
        if pair not in host and pair not in {(c, r) for c, r, _ in rows}:
            problems.append(f"{path}: {reason} with code {code} is in neither table")

if problems:
    print("wire errors disagree with protocol/wire_errors.hpp:\n  " + "\n  ".join(problems))
    sys.exit(1)
print(f"wire errors: {len(rows)} codes and {len(host)} host errors agree in every listing")
