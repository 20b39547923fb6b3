"""The `wargabot` command: chat, serve, worker, outbox, telegram, keys, db, desk, flows, locales,
bench. Parses arguments and wires parts together; the work itself lives in the modules it calls."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.commands import db as db_command
from bot.commands import desk as desk_command
from bot.config import ConfigError, Settings, load_settings
from bot.observe.logs import log_config, setup_logging


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
    graph = fsub.add_parser(
        "graph", help="print a flow's whole conversation (stages and steps) as a Mermaid diagram"
    )
    graph.add_argument("flow", help="flow id, e.g. makassar-kis-pbi")
    graph.add_argument(
        "--steps", action="store_true", help="only the flow's questions and their branches"
    )
    _flow_dirs(graph)

    loc = sub.add_parser("locales", help="keep the translation catalogs in step with the texts")
    lsub = loc.add_subparsers(dest="locales_command", required=True, metavar="ACTION")
    upd = lsub.add_parser(
        "update", help="extract texts to locales/messages.pot and merge into each .po"
    )
    upd.add_argument("--new", metavar="LANG", help="also start a catalog for this language")
    _flow_dirs(upd)

    serve = sub.add_parser(
        "serve",
        help="run the web service: webhooks, health, metrics",
        description="Run the web service. WEB_WORKERS=N runs N processes on the port (N > 1 "
        "needs REDIS_URL); settings come from the environment and .env (see .env.example).",
    )
    serve.add_argument("--host", help="address to listen on (default: HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT or 8080)")
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="do not deliver dossiers in this process (a separate `wargabot worker` does)",
    )

    sub.add_parser(
        "worker", help="deliver submitted dossiers to the office inbox (needs REDIS_URL)"
    )
    out = sub.add_parser("outbox", help="see and act on dossiers waiting for delivery")
    osub = out.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    osub.add_parser("status", help="how many wait, the oldest, dead letters (exit 1 if any)")
    osub.add_parser("list", help="each undelivered dossier and dead letter, with its last error")
    again = osub.add_parser("retry", help="deliver a dead letter (or a waiting one) again now")
    again.add_argument("id", help="the dossier reference, or the dead-letter entry id")

    tg = sub.add_parser("telegram", help="Telegram bot set-up")
    tsub = tg.add_subparsers(dest="telegram_command", required=True, metavar="ACTION")
    hook = tsub.add_parser(
        "set-webhook", help="register PUBLIC_BASE_URL/telegram/webhook with its secret"
    )
    hook.add_argument("--url", help="public base URL (default: PUBLIC_BASE_URL)")
    tsub.add_parser("poll", help="run the bot by long polling, for an office with no public URL")

    sub.add_parser("doctor", help="check the settings and every configured service; say how to fix")
    db_command.add_parser(sub)
    desk_command.add_parser(sub)

    keys = sub.add_parser("keys", help="the key that encrypts MEDIA_DIR: new, status, rotate")
    ksub = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    knew = ksub.add_parser("new", help="print a fresh random key (for DATA_KEY), or --out FILE")
    knew.add_argument("--out", type=Path, help="write it to this new file (for DATA_KEY_FILE)")
    ksub.add_parser("status", help="how many files each key sealed, how many are unencrypted")
    ksub.add_parser("rotate", help="seal every file with DATA_KEY (old keys: DATA_OLD_KEYS)")

    bench = sub.add_parser("bench", help="measure speed")
    bsub = bench.add_subparsers(dest="bench_command", required=True, metavar="WHAT")
    eng = bsub.add_parser("engine", help="engine steps per second for a text answer (one core)")
    eng.add_argument("--seconds", type=float, default=3.0, help="how long to measure (default 3)")
    und = bsub.add_parser(
        "understanding",
        help="the corpus of citizens' answers: share understood per kind, every misreading",
    )
    und.add_argument(
        "--missed", action="store_true", help="also list the answers not understood (asked again)"
    )
    med = bsub.add_parser("media", help="cost of encryption at rest per photo; event-loop stalls")
    med.add_argument("--mb", type=float, default=1.0, help="photo size in MB (default 1)")
    load = bsub.add_parser(
        "load", help="updates/s, latency, Redis bytes and memory of a running `wargabot serve`"
    )
    load.add_argument("--seconds", type=float, default=10.0, help="each phase (default 10)")
    load.add_argument("--rate", type=float, default=500.0, help="offered updates/s (default 500)")
    load.add_argument("--concurrency", type=int, default=32, help="in flight (default 32)")
    load.add_argument("--chats", type=int, default=2000, help="distinct chats (default 2000)")
    load.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_WORKERS", "1")),
        help="server worker processes (default WEB_WORKERS, else 1)",
    )
    desk = bsub.add_parser(
        "desk", help="case list and NIK search p95 with 100,000 cases, SQLite and PostgreSQL"
    )
    desk.add_argument("--cases", type=int, default=100_000, help="cases (default 100000)")
    desk.add_argument("--requests", type=int, default=200, help="per measure (default 200)")
    desk.add_argument(
        "--db",
        default="sqlite,postgresql",
        help="sqlite, postgresql (a throwaway server from Debian's binaries) or both (default)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "doctor":  # before loading settings: it reports bad ones itself
        from bot.commands.doctor import run as run_doctor

        setup_logging("warning", "text")
        return run_doctor()
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"wargabot: bad setting: {exc}", file=sys.stderr)
        return 2
    # services log as LOG_FORMAT says (JSON lines by default); a terminal command, as text
    service = (
        args.command in ("serve", "worker")
        or getattr(args, "telegram_command", "") == "poll"
        or (args.command == "desk" and not args.desk_command)
    )
    setup_logging(settings.LOG_LEVEL, settings.LOG_FORMAT if service else "text")
    flows_dir = getattr(args, "flows", None) or settings.FLOWS_DIR
    locales_dir = getattr(args, "locales", None) or settings.LOCALES_DIR

    if args.command == "flows" and args.flows_command == "check":
        return _check(flows_dir, locales_dir)
    if args.command == "db":
        return db_command.run(args, settings)
    if args.command == "keys":
        return _keys(settings, args)

    from bot.authoring.loader import FlowError, load_flowset

    if args.command == "serve":
        if args.no_worker:
            settings = settings.model_copy(update={"RUN_WORKER": False})
            os.environ["RUN_WORKER"] = "false"  # for the processes of WEB_WORKERS > 1
        return _serve(settings, args.host, args.port)
    if args.command in ("worker", "outbox"):
        from bot.commands.outbox import outbox_command, run_worker

        try:
            settings.check_inbox()
            if args.command == "worker":
                settings.check_channels()
                _keyring(settings)
                if settings.CASESTORE_ENABLED and (
                    refused := db_command.refuse_if_behind(settings)
                ):
                    return refused
                return asyncio.run(run_worker(settings))
            return asyncio.run(
                outbox_command(settings, args.outbox_command, getattr(args, "id", None))
            )
        except ConfigError as exc:
            print(f"wargabot: {exc}", file=sys.stderr)
            return 2
    if args.command == "telegram":
        from bot.commands.telegram import poll, set_webhook

        try:
            if args.telegram_command == "set-webhook":
                return asyncio.run(set_webhook(settings, args.url))
            return asyncio.run(poll(settings))
        except ConfigError as exc:
            print(f"wargabot: {exc}", file=sys.stderr)
            return 2
    if args.command == "locales":
        from bot.authoring.catalog import update

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
        from bot.authoring.graph import mermaid

        print(mermaid(flows.flows[args.flow], steps_only=args.steps))
        return 0
    if args.command == "bench":
        if importlib.util.find_spec("benchmarks") is None:
            print(
                "wargabot: the benchmarks are not installed here (they are left out of the image);"
                " run them from a clone: make bench",
                file=sys.stderr,
            )
            return 2
        if args.bench_command == "desk":
            from benchmarks.desk import run as run_desk

            return run_desk(flows, args.cases, args.requests, args.db.split(","))
        if args.bench_command == "media":
            from benchmarks.media import bench_media

            bench_media(args.mb)
            return 0
        if args.bench_command == "load":
            from benchmarks.load import run as run_load

            run_load(args.seconds, args.rate, args.concurrency, args.chats, args.workers)
            return 0
        if args.bench_command == "understanding":
            from benchmarks.understanding import bench_understanding

            return bench_understanding(flows, args.missed)
        from benchmarks.engine import bench_engine

        bench_engine(flows, args.seconds)
        return 0
    if args.command == "desk":
        return desk_command.run(
            args, settings.model_copy(update={"LOCALES_DIR": locales_dir}), flows
        )
    if args.command == "chat":
        from bot.channels.console import ConsoleChat, run
        from bot.delivery.sinks.maildir import MaildirSink
        from bot.media.store import MediaStore

        if args.lang not in flows.languages:
            print(
                f"wargabot: unknown language '{args.lang}' ({', '.join(flows.languages)})",
                file=sys.stderr,
            )
            return 2
        try:
            media = MediaStore.from_settings(settings, args.media)
        except ConfigError as exc:
            print(f"wargabot: bad setting: {exc}", file=sys.stderr)
            return 2
        inbox = MaildirSink(args.inbox or settings.INBOX_MAILDIR, media)
        casestore = None
        if settings.CASESTORE_ENABLED:
            if refused := db_command.refuse_if_behind(settings):
                return refused
            from bot.delivery.sinks.casestore import CaseStoreSink

            casestore = CaseStoreSink(settings.DATABASE_URL, flows)
        chat = ConsoleChat(flows, media, inbox, lang=args.lang, casestore=casestore)
        try:
            run(chat)
        finally:
            chat.close()
        return 0
    return 2


def _serve(settings: Settings, host: str | None, port: int | None) -> int:
    try:
        settings.check_channels()
        settings.check_inbox()
        _keyring(settings)
    except ConfigError as exc:
        print(f"wargabot: bad setting: {exc}", file=sys.stderr)
        return 2
    # its worker stores cases: the database must be at the migrations' head
    if (
        settings.CASESTORE_ENABLED
        and settings.RUN_WORKER
        and (refused := db_command.refuse_if_behind(settings))
    ):
        return refused
    if settings.WEB_WORKERS > 1:  # each process builds its own app; this one only watches them
        from bot.web.processes import serve

        return serve(
            settings.WEB_WORKERS,
            host or settings.HOST,
            port or settings.PORT,
            settings.LOG_LEVEL,
            settings.LOG_FORMAT,
        )
    import uvicorn

    from bot.web.app import create_app

    app = create_app(settings)
    uvicorn.run(
        app,
        host=host or settings.HOST,
        port=port or settings.PORT,
        log_level=settings.LOG_LEVEL,
        log_config=log_config(settings.LOG_LEVEL, settings.LOG_FORMAT),
        access_log=settings.LOG_LEVEL == "debug",  # masked like every other line
        proxy_headers=False,
    )
    return 0


def _keyring(settings: Settings) -> None:
    """A bad key setting stops start-up here, before any process is started."""
    from bot.media.keyring import load_keyring

    load_keyring(settings)


def _keys(settings: Settings, args: argparse.Namespace) -> int:
    from bot.commands import keys
    from bot.media.store import MediaStore

    if args.keys_command == "new":
        return keys.new(args.out)
    try:
        store = MediaStore.from_settings(settings)
    except ConfigError as exc:
        print(f"wargabot: bad setting: {exc}", file=sys.stderr)
        return 2
    return keys.status(store) if args.keys_command == "status" else keys.rotate(store)


def _check(flows_dir: Path, locales_dir: Path) -> int:
    from bot.authoring.loader import check, load_translators

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
