"""The command line of sithsd-testkit: one subcommand per thing a pipeline does. Every answer is
JSON on stdout (`env` prints the env file); errors are one line on stderr, exit code 1 (2 for a
wrong command line)."""
import argparse
import json
import os
import sys
import tempfile

from . import browser, instance, person, world
from .processes import TestkitError

TEST_KEYS = ("Endast testnycklar: varje värld får en ny test-CA; lita aldrig på den utanför tester.\n"
             "Test keys only: each world gets a new test CA; never trust it outside tests.")

DESCRIPTION = f"""sithsd-testkit: en privat sithsd på ett emulerat SITHS-kort för er CI.
sithsd-testkit: a private sithsd on an emulated SITHS card, for your CI.

{TEST_KEYS}

  world DIR            make the test world (PKI, cards) in DIR; idempotent, shared by workers
  up                   start sithsd on a world: prints JSON, writes an env file
  down                 stop everything `up` started
  pin next ANSWER…     script the next prompts: a PIN, wrong, cancel, timeout, empty, yes, no
  prompts              what the prompts said (origin, holder, text to sign)
  card insert|remove NAME, card status, card reset
  browser chromium|firefox DIR   prepare a headless browser profile; prints the launch
  env                  the env file of an instance

After `up`, the other commands find the instance by --run DIR or $SITHSD_TESTKIT_RUN."""

CARD_HELP = ("a card NAME:KEY=VALUE,… (name=, org=, hsaid=, pnr=, expires=, pin-tries=, key=rsa|ec, "
             "sign=no, revoked=yes, pinpad=yes, inserted=yes); a default card's NAME changes that "
             "card; see sithsd-make-world --help")


def _run_option(parser):
    parser.add_argument("--run", default=os.environ.get("SITHSD_TESTKIT_RUN"),
                        help="the instance's run folder (default $SITHSD_TESTKIT_RUN)")


def _parser():
    p = argparse.ArgumentParser(prog="sithsd-testkit", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    w = sub.add_parser("world", help="make the test world", description=f"Make the test world in DIR.\n{TEST_KEYS}",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    w.add_argument("dir", metavar="DIR")
    w.add_argument("--card", action="append", default=[], metavar="SPEC", help=CARD_HELP)
    w.add_argument("--ocsp-port", type=int, help="the OCSP port in the certificates (default: a free one)")
    w.add_argument("--origin", action="append", default=[], help="an origin to allow (repeat)")

    u = sub.add_parser("up", help="start a private sithsd", description=f"Start sithsd on a world.\n{TEST_KEYS}",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    u.add_argument("--world", help="a world made by `world` (default: a new one in the run folder)")
    u.add_argument("--run", help="the run folder (default: a new one in $TMPDIR)")
    u.add_argument("--port", type=int, help="the WebSocket port (default: a free one)")
    u.add_argument("--origin", action="append", default=[], help="an origin to allow besides the world's")
    u.add_argument("--card", action="append", default=[], metavar="SPEC", help="without --world: " + CARD_HELP)
    u.add_argument("--prompt-timeout", type=int, default=5, metavar="S",
                   help="seconds before an unanswered prompt ends in TIMEOUT (default 5)")
    u.add_argument("--language", choices=("sv", "en"), default="sv", help="the prompts' language")
    u.add_argument("--env-file", help="also append the env file to this file (e.g. $GITHUB_ENV)")
    u.add_argument("--timeout", type=float, default=10, help="seconds to wait for sithsd (default 10)")

    d = sub.add_parser("down", help="stop the instance")
    _run_option(d)
    d.add_argument("--keep", action="store_true", help="keep the run folder (logs, audit)")

    pin = sub.add_parser("pin", help="script the prompts' answers")
    pin.add_argument("action", choices=("next", "clear", "pending"))
    pin.add_argument("answers", nargs="*", metavar="ANSWER",
                     help="a PIN (digits), wrong, cancel, timeout, empty, yes, no")
    _run_option(pin)

    pr = sub.add_parser("prompts", help="what the prompts said")
    _run_option(pr)

    c = sub.add_parser("card", help="insert or remove a card")
    c.add_argument("action", choices=("insert", "remove", "status", "reset"),
                   help="reset: every card as the world made it (inserted, tries), no answers left, the prompt log emptied")
    c.add_argument("name", nargs="?", metavar="NAME")
    _run_option(c)

    b = sub.add_parser("browser", help="prepare a browser profile")
    b.add_argument("which", choices=("chromium", "firefox"))
    b.add_argument("dir", metavar="DIR")
    b.add_argument("--origin", action="append", default=[],
                   help="an origin whose TLS login takes the HSA-ID certificate without a pop-up")
    b.add_argument("--no-extension", action="store_true", help="without the sithsd extension")
    _run_option(b)

    e = sub.add_parser("env", help="the env file of the instance")
    _run_option(e)
    return p


def _up(layout, args):
    if not args.world:
        if not args.run:
            args.run, args.run_made = tempfile.mkdtemp(prefix="sithsd-testkit-"), True
        run = args.run
        args.world = os.path.join(run, "world")
        world.make_world(layout, args.world, cards=args.card)
    elif args.card:
        raise TestkitError("--card belongs to `world` (or to `up` without --world)")
    return instance.up(layout, args)


def _dispatch(layout, args):
    if args.command == "world":
        return world.make_world(layout, args.dir, args.card, args.origin, args.ocsp_port)
    if args.command == "up":
        return _up(layout, args)
    inst = instance.read_instance(args.run)
    if args.command == "down":
        return instance.down(layout, args.run, keep=args.keep)
    if args.command == "pin":
        if args.action == "next":
            if not args.answers:
                raise TestkitError("pin next: which answer?")
            return person.pin_next(inst, args.answers)
        return person.pin_clear(inst) if args.action == "clear" else person.pending(inst)
    if args.command == "prompts":
        return person.prompts(inst)
    if args.command == "card":
        if args.action == "status":
            return person.card_status(layout, inst)
        if args.action == "reset":
            return person.reset(layout, inst)
        if not args.name:
            raise TestkitError(f"card {args.action}: which card?")
        return person.card(layout, inst, args.action, args.name)
    if args.command == "browser":
        return browser.prepare(inst, args.which, args.dir, args.origin, not args.no_extension)
    if args.command == "env":
        return instance.env_lines(inst)
    raise TestkitError(f"unknown command {args.command}")


def main(argv, layout):
    args = _parser().parse_args(argv)
    try:
        result = _dispatch(layout, args)
    except TestkitError as e:
        print(f"sithsd-testkit: {e}", file=sys.stderr)
        return 1
    if args.command == "env":
        for key, value in result.items():
            print(f"{key}={instance.env_value(value)}")
    else:
        json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    return 0
