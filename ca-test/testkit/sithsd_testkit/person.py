"""The person at the keyboard and the card in the reader: `pin`, `prompts`, `card`.

Answers go to the scripted pinentry's script (one line per prompt, taken in order, under the same
flock the pinentry takes); what the prompts said comes from its log. Cards move with the soft
card's controller on the instance's own soft-card configuration."""
import fcntl
import json
import os
import re
import subprocess

from .instance import WRONG_PIN
from .processes import TestkitError

ANSWERS = {
    "cancel": "cancel",        # the person presses Avbryt
    "wrong": f"pin {WRONG_PIN}",  # a wrong PIN (costs a try, as a person's would)
    "timeout": "hang",         # nobody answers: sithsd's prompt_timeout_seconds ends the request
    "empty": "pin",            # Enter on an empty field
    "yes": "confirm yes",      # a CONFIRM prompt answered
    "no": "confirm no",
}


def script_line(answer):
    if re.fullmatch(r"[0-9]{4,16}", answer):
        return f"pin {answer}"
    if answer in ANSWERS:
        return ANSWERS[answer]
    raise TestkitError(f"not an answer: {answer!r} (a PIN of digits, or {', '.join(ANSWERS)})")


def _locked_script(inst):
    lock = open(inst["pinentryScript"] + ".lock", "a")
    fcntl.flock(lock, fcntl.LOCK_EX)
    return lock


def pin_next(inst, answers):
    lines = [script_line(a) for a in answers]
    with _locked_script(inst):
        with open(inst["pinentryScript"], "a", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
    return pending(inst)


def pin_clear(inst):
    with _locked_script(inst):
        open(inst["pinentryScript"], "w").close()
    return []


def pending(inst):
    """The answers not used yet, in the words of `pin next`."""
    reverse = {line: word for word, line in ANSWERS.items()}
    with open(inst["pinentryScript"], encoding="utf-8") as f:
        lines = [line.strip() for line in f if line.strip()]
    return [reverse.get(line, line.removeprefix("pin ")) for line in lines]


def _field(description, *labels):
    for label in labels:
        match = re.search(rf"^{re.escape(label)} (.*)$", description, re.MULTILINE)
        if match:
            return match.group(1)
    return None


def _display_text(description):
    """The text to sign, as the prompt showed it (between its heading and the requester line)."""
    for heading in ("Du ombeds skriva under:\n\n", "You are asked to sign:\n\n"):
        start = description.find(heading)
        if start >= 0:
            rest = description[start + len(heading):]
            end = rest.find("\n\nBegärt av: ")
            end = rest.find("\n\nRequested by: ") if end < 0 else end
            return rest[:end] if end >= 0 else rest
    return None


def _pin_kind(entry):
    text = " ".join(entry.get(k, "") for k in ("settitle", "setprompt", "setdesc")).lower()
    if "underskrift" in text or "signature" in text or "signing" in text:
        return "signing"
    if "legitimering" in text or "identification" in text:
        return "identification"
    return None


def prompts(inst):
    """Every prompt so far: what it asked (GETPIN, CONFIRM, MESSAGE), which PIN, the requester
    (the origin), the certificate holder, the text to sign, the error line, and the whole text."""
    try:
        with open(inst["promptLog"], encoding="utf-8") as f:
            entries = [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []
    shown = []
    for entry in entries:
        if "request" not in entry:
            continue
        description = entry.get("setdesc", "")
        shown.append({
            "request": entry["request"],
            "pin": _pin_kind(entry) if entry["request"] == "GETPIN" else None,
            "title": entry.get("settitle"),
            "requester": _field(description, "Begärt av:", "Requested by:"),
            "holder": _field(description, "Certifikat:", "Certificate:"),
            "displayText": _display_text(description),
            "error": entry.get("seterror"),
            "description": description,
        })
    return shown


def card(layout, inst, action, name):
    names = [c["name"] for c in inst["cards"]]
    if name not in names:
        raise TestkitError(f"no card {name!r} in this world (cards: {', '.join(names)})")
    out = subprocess.run([layout["softcard_ctl"], inst["softcardConf"], action, name],
                         capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise TestkitError(out.stderr.strip())
    return card_status(layout, inst)


def reset(layout, inst):
    """Every card as the world made it (insertion, PIN tries), no scripted answer left and no prompt
    in the log: what a fixture does between two tests that share an instance."""
    pin_clear(inst)
    open(inst["promptLog"], "w").close()
    out = subprocess.run([layout["softcard_ctl"], inst["softcardConf"], "reset"],
                         capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise TestkitError(out.stderr.strip())
    return card_status(layout, inst)


def card_status(layout, inst):
    """The cards as the soft card has them now: inserted, tries left."""
    out = subprocess.run([layout["softcard_ctl"], inst["softcardConf"], "status"],
                         capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise TestkitError(out.stderr.strip())
    status = []
    for line in out.stdout.splitlines()[1:]:
        fields = line.split()
        status.append({"name": fields[0], "inserted": fields[1] == "yes",
                       "triesLeft": {"identification": int(fields[2]), "signing": int(fields[3])}})
    return status
