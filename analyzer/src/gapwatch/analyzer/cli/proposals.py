"""``gapwatch proposals list|show|approve|reject|snooze|implemented``.

    gapwatch proposals list --status open --priority high
    gapwatch proposals approve 3f2a9c0d1e4b5a6f --reason "cheap fix"
    gapwatch proposals implemented 3f2a9c0d1e4b5a6f --version v2.3.0 --json
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gapwatch.analyzer.cli._backend import (
    CliError,
    add_connection_arguments,
    local_actor,
    open_backend,
)
from gapwatch.analyzer.cli._output import print_json, print_table

_LIST_COLUMNS = [("ID", "id", 16), ("PRIORITY", "priority", 8), ("STATUS", "status", 11),
                 ("DETECTOR", "detector", 26), ("EVIDENCE", "count", 8), ("TITLE", "title", 200)]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("proposals", help="list, inspect and decide on proposals")
    actions = parser.add_subparsers(dest="proposals_command", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="proposals, highest priority first")
    for name in ("status", "detector", "agent", "tool", "priority"):
        listing.add_argument(f"--{name}", help=f"only this {name} (comma-separated for several)")
    listing.add_argument("--limit", type=int, default=50, help="proposals per page (default 50)")
    listing.add_argument("--cursor", help="next_cursor of a previous page")
    add_connection_arguments(listing)
    listing.set_defaults(handler=_list)

    show = actions.add_parser("show", help="one proposal with evidence and history")
    show.add_argument("id", help="proposal id, as `proposals list` shows it")
    add_connection_arguments(show)
    show.set_defaults(handler=_show)

    for action, text in (("approve", "approve the proposed change"),
                         ("reject", "reject it (quiet until the evidence grows)"),
                         ("snooze", "put it aside until a date"),
                         ("implemented", "mark the change as shipped; verification follows")):
        sub = actions.add_parser(action, help=text)
        sub.add_argument("id", help="proposal id, as `proposals list` shows it")
        sub.add_argument("--reason", default="", help="why (kept in the audit trail)")
        sub.add_argument("--actor", help="who decides, for the audit trail (default: cli:<your "
                         "user name>; through the API the token's identity is added)")
        if action == "snooze":
            sub.add_argument("--until", help="ISO date or time (default: in 7 days)")
        if action == "implemented":
            sub.add_argument("--version", default="", help="version marker that ships the fix")
            sub.add_argument("--at", help="when it shipped, ISO time (default: now)")
        add_connection_arguments(sub)
        sub.set_defaults(handler=_act, action=action)


def _list(args: argparse.Namespace) -> int:
    params = {name: getattr(args, name) for name in
              ("status", "detector", "agent", "tool", "priority", "limit", "cursor")}
    body = _with_backend(args, lambda backend: backend.list_proposals(params))
    if body is None:
        return 1
    if args.json:
        print_json(body)
        return 0
    rows = [{**p, "count": p["evidence"]["count"]} for p in body["proposals"]]
    if not rows:
        print("no proposals match")
    else:
        print_table(rows, _LIST_COLUMNS)
    if body.get("next_cursor"):
        print(f"\nmore: --cursor {body['next_cursor']}")
    return 0


def _show(args: argparse.Namespace) -> int:
    body = _with_backend(args, lambda backend: backend.show(args.id))
    if body is None:
        return 1
    if args.json:
        print_json(body)
    else:
        _print_detail(body)
    return 0


def _act(args: argparse.Namespace) -> int:
    request = {"reason": args.reason, "actor": args.actor or local_actor(),
               "until": getattr(args, "until", None), "version": getattr(args, "version", ""),
               "at": getattr(args, "at", None)}
    body = _with_backend(args, lambda backend: backend.act(args.id, args.action, request))
    if body is None:
        return 1
    if args.json:
        print_json(body)
    else:
        print(f"{body['id']} is now {body['status']}: {body['title']}")
    return 0


def _with_backend(args: argparse.Namespace, call: Any) -> dict[str, Any] | None:
    try:
        backend = open_backend(args)
        try:
            result: dict[str, Any] = call(backend)
            return result
        finally:
            backend.close()
    except CliError as error:
        print(f"gapwatch: {error}", file=sys.stderr)
        return None


def _print_detail(p: dict[str, Any]) -> None:
    evidence = p["evidence"]
    subject = ", ".join(f"{k}={v}" for k, v in p["subject"].items() if v)
    print(f"{p['title']}\n")
    print(f"  id          {p['id']}")
    print(f"  status      {p['status']}    priority {p['priority']}    "
          f"confidence {p['confidence']:.0%}")
    print(f"  detector    {p['detector']} ({p['type']})")
    print(f"  subject     {subject}")
    print(f"  evidence    {_count(evidence['count'], 'occurrence')} in "
          f"{_count(evidence['sessions'], 'session')}, "
          f"{evidence['first_seen']} … {evidence['last_seen']} ({evidence['window']})")
    for name, value in sorted(evidence["metrics"].items()):
        print(f"              {name}: {value}")
    if evidence["traces"]:
        print(f"  traces      {', '.join(evidence['traces'][:5])}")
    print(f"\n  {p['summary']}\n")
    print(f"  proposed change   {p['proposed_change']}")
    print(f"  expected impact   {p['expected_impact']}")
    print(f"  risk              {p['risk']}")
    if p.get("verification"):
        v = p["verification"]
        print(f"  verification      {v.get('outcome')}: {v['before']['bad']}/"
              f"{v['before']['total']} before, {v['after']['bad']}/{v['after']['total']} after"
              f" ({v.get('test') or 'no test'}, p={v.get('p_value')})")
    print("\n  history")
    for h in p.get("history", []):
        print(f"    {h['at']}  {h['from_status'] or '-':>11} → {h['to_status']:<11} "
              f"{h['actor']}: {h['reason']}")


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
