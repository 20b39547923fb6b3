"""The `wargabot` command as an office's IT person runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.commands.main import main
from tests.kit.database import migrated_sqlite

ROOT = Path(__file__).resolve().parents[2]


def test_flows_check_passes_on_the_shipped_flows(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "check"]) == 0
    assert "OK: 2 flows" in capsys.readouterr().out


def test_flows_check_reports_file_step_and_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows" / "shared", flows / "shared")  # the offices it names
    text = (ROOT / "flows" / "gowa-kis-reaktivasi.yaml").read_text()
    (flows / "gowa.yaml").write_text(
        text.replace("      else: foto_rumah", "      else: foto_atap")
    )
    code = main(["flows", "check", "--flows", str(flows), "--locales", str(ROOT / "locales")])
    out = capsys.readouterr().out
    assert code == 1
    assert f"{flows / 'gowa.yaml'}: step 'sakit': next: 'else' leads to step 'foto_atap'" in out


def test_flows_check_reports_missing_translations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows" / "shared", flows / "shared")  # the offices it names
    text = (ROOT / "flows" / "gowa-kis-reaktivasi.yaml").read_text()
    (flows / "gowa.yaml").write_text(
        text.replace("Siapa nama lengkap", "Tolong tulis nama lengkap")
    )
    assert main(["flows", "check", "--flows", str(flows)]) == 1
    out = capsys.readouterr().out
    assert "step 'nama' ask: no en translation for 'Tolong tulis nama lengkap" in out


def test_flows_graph_prints_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "graph", "makassar-kis-pbi"]) == 0
    out = capsys.readouterr().out
    assert "stateDiagram-v2" in out
    assert "tunggakan --> stop_tunggakan: ya" in out
    assert "dtks --> sktm: lainnya" in out
    assert "summary --> submitted: kirim" in out
    # the whole conversation, not only the steps: consent, the menu, the asides
    assert "consent --> office: setuju" in out
    assert "nama --> cancel: batal" in out
    assert "cancel --> nama: kembali [was nama] | lanjutkan [was nama]" in out
    assert "edit --> nik: ubah [nik]" in out


def test_flows_graph_steps_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "graph", "gowa-kis-reaktivasi", "--steps"]) == 0
    out = capsys.readouterr().out
    assert "requirements --> nama: mulai" in out
    assert "sakit --> surat_opname: ya" in out
    assert "consent" not in out and "cancel" not in out


def test_flows_graph_unknown_flow(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "graph", "nope"]) == 2
    assert "known flows: " in capsys.readouterr().err


def test_locales_update_starts_a_new_language(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", locales)
    assert main(["locales", "update", "--locales", str(locales), "--new", "bug"]) == 0
    po = (locales / "bug" / "LC_MESSAGES" / "messages.po").read_text()
    assert 'msgid "Ya, setuju"' in po
    # the new language is offered by `bahasa` at once: adding a language is adding files
    from bot.authoring.loader import load_flowset

    assert load_flowset(locales_dir=locales).languages == ["id", "bug", "en"]


def test_the_console_script_runs_and_help_lists_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for command in ("chat", "flows", "locales", "bench"):
        assert command in out


def test_bench_engine_reports_steps_per_second(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "engine", "--seconds", "0.05"]) == 0
    out = capsys.readouterr().out
    assert "text answer (name)" in out and "steps/s" in out


def test_engine_steps_write_no_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    """transitions logs each state change at INFO; served at INFO, that floods the log."""
    import logging

    from benchmarks.engine import _session_at
    from bot.authoring.loader import load_flowset
    from bot.engine.model import TextReceived
    from bot.engine.step import step
    from tests.conftest import NOW

    flows = load_flowset()
    with caplog.at_level(logging.INFO):
        step(flows, _session_at(flows, "makassar-kis-pbi", "nama"), TextReceived("Siti"), NOW)
    assert [r.getMessage() for r in caplog.records] == []


def test_the_terminal_chat_shows_the_citizen_no_library_log_lines(tmp_path: Path) -> None:
    """A newcomer's `make run`: the conversation, not the migration library's INFO lines."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATA_KEY", "REDIS"))},
        "DATABASE_URL": migrated_sqlite(tmp_path / "db"),
        "MEDIA_DIR": str(tmp_path / "media"),
        "INBOX_MAILDIR": str(tmp_path / "inbox"),
    }
    run = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="halo\n/quit\n",
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Halo! Saya wargabot" in run.stdout
    said = run.stdout + run.stderr
    assert "alembic" not in said and " INFO " not in said, said[:2000]
