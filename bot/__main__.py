"""`python -m bot` runs the `wargabot` command (tests and the load benchmark start it this way).
Only the entry point lives here; guarded, since a spawned helper process imports it again."""

from bot.commands.main import main

if __name__ == "__main__":
    raise SystemExit(main())
