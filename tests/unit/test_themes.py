"""Colours: --theme NAME and the palette's choice, remembered in the config directory;
NO_COLOR."""

from __future__ import annotations

import pytest
from fixtures.tui_fakes import make_app, settle

from kubectl_batch.cli import main
from kubectl_batch.tui import themes


def test_the_chosen_theme_is_kept_in_the_config_dir(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    assert themes.saved_theme(env) is None
    themes.save_theme("textual-light", env)
    assert (tmp_path / "kubectl-batch" / "theme").read_text() == "textual-light\n"
    assert themes.saved_theme(env) == "textual-light"
    (tmp_path / "kubectl-batch" / "theme").write_text("gone-theme\n")
    assert themes.saved_theme(env) is None  # no longer one of Textual's: the default
    themes.save_theme("nord", {"XDG_CONFIG_HOME": "/proc/no/such/dir"})  # not kept, no error


def test_an_unknown_theme_is_one_line_before_connecting(capsys, tmp_path):
    assert main(["--kubeconfig", str(tmp_path / "none"), "--theme", "sepia"]) == 1
    err = capsys.readouterr().err
    assert err.startswith('error: unknown theme "sepia": use one of ') and "textual-light" in err
    assert len(err.splitlines()) == 1


@pytest.mark.asyncio
async def test_the_app_starts_in_the_theme_and_remembers_a_change():
    remembered: list[str] = []
    app = make_app(theme="textual-light", remember_theme=remembered.append)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert app.theme == "textual-light"
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Theme" in commands  # the palette lists Textual's themes, light ones too
        app.theme = "solarized-light"  # what the palette's "Theme" command does
        await pilot.pause()
    assert remembered[-1] == "solarized-light"


def test_no_color_cli_output_has_no_escape_codes(capsys, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["next-runs", "--schedule", "@daily", "--after", "2026-01-01T00:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "2026-01-02 00:00+00:00" in out and "\x1b" not in out
