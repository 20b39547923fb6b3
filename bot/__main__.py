"""`python -m bot` runs the `wargabot` command (tests and the load benchmark start it this way).
Only the entry point lives here."""

from bot.commands.main import main

raise SystemExit(main())
