"""The `wargabot` command: chat, flows check | graph, locales update, bench engine.
Parses arguments and wires parts together; the work itself lives in the modules it calls."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import load_settings


def _flow_dirs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--flows", type=Path, help="folder of flow files (default: FLOWS_DIR or flows/)")
    p.add_argument(
        "--locales", type=Path, help="folder of catalogs (default: LOCALES_DIR or locales/)"
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="wargabot",
        description="Apply for Dinas Sosial services by chat. Settings come from the environment "
        "or a .env file; every one has a default.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = sub.add_parser("chat", help="talk to the bot as a citizen, in this terminal")
    _flow_dirs(chat)
    chat.add_argument(
        "--inbox", type=Path, help="Maildir for dossiers (default: INBOX_MAILDIR or var/inbox)"
    )
    chat.add_argument(
        "--media", type=Path, help="folder for photos (default: MEDIA_DIR or var/media)"
    )
    chat.add_argument("--lang", default="id", help="start in this language (id, en)")

    flows = sub.add_parser("flows", help="check or draw the service flows")
    fsub = flows.add_subparsers(dest="flows_command", required=True, metavar="ACTION")
    check = fsub.add_parser("check", help="validate every flow file and its translations")
    _flow_dirs(check)
    graph = fsub.add_parser("graph", help="print a flow as a Mermaid state diagram")
    graph.add_argument("flow", help="flow id, e.g. makassar-kis-pbi")
    _flow_dirs(graph)

    loc = sub.add_parser("locales", help="keep the translation catalogs in step with the texts")
    lsub = loc.add_subparsers(dest="locales_command", required=True, metavar="ACTION")
    upd = lsub.add_parser(
        "update", help="extract texts to locales/messages.pot and merge into each .po"
    )
    upd.add_argument("--new", metavar="LANG", help="also start a catalog for this language")
    _flow_dirs(upd)

    bench = sub.add_parser("bench", help="measure speed")
    bsub = bench.add_subparsers(dest="bench_command", required=True, metavar="WHAT")
    eng = bsub.add_parser("engine", help="engine steps per second for a text answer (one core)")
    eng.add_argument("--seconds", type=float, default=3.0, help="how long to measure (default 3)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = load_settings()
    flows_dir = getattr(args, "flows", None) or settings.flows_dir
    locales_dir = getattr(args, "locales", None) or settings.locales_dir

    if args.command == "flows" and args.flows_command == "check":
        return _check(flows_dir, locales_dir)

    from bot.loader import FlowError, load_flowset

    if args.command == "locales":
        from bot.catalog import update

        for path in update(flows_dir, locales_dir, args.new):
            print(f"wrote {path}")
        return 0
    try:
        flows = load_flowset(flows_dir, locales_dir)
    except FlowError as exc:
        print(
            f"wargabot: the flows have errors (run `wargabot flows check`):\n{exc}", file=sys.stderr
        )
        return 2
    if args.command == "flows":
        if args.flow not in flows.flows:
            known = ", ".join(flows.flows)
            print(f"wargabot: no flow '{args.flow}'; known flows: {known}", file=sys.stderr)
            return 2
        from bot.graph import mermaid

        print(mermaid(flows.flows[args.flow]))
        return 0
    if args.command == "bench":
        from bot.bench import bench_engine

        bench_engine(flows, args.seconds)
        return 0
    if args.command == "chat":
        from bot.channels.console import ConsoleChat, run
        from bot.inbox.maildir import MaildirSink
        from bot.mediastore import MediaStore

        if args.lang not in flows.languages:
            print(
                f"wargabot: unknown language '{args.lang}' ({', '.join(flows.languages)})",
                file=sys.stderr,
            )
            return 2
        media = MediaStore(args.media or settings.media_dir)
        inbox = MaildirSink(args.inbox or settings.inbox_maildir, media)
        run(ConsoleChat(flows, media, inbox, lang=args.lang))
        return 0
    return 2


def _check(flows_dir: Path, locales_dir: Path) -> int:
    from bot.loader import check, load_translators

    loaded, problems = check(flows_dir, locales_dir)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    langs = ", ".join(load_translators(locales_dir))
    steps = sum(len(f.steps) for f, _ in loaded)
    print(f"OK: {len(loaded)} flows, {steps} steps, languages: {langs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
