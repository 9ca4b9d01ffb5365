"""The UI lends the terminal to a credential plugin that must talk to the user mid-session
(an expired login): it suspends, the plugin prompts and reads the answer, the UI resumes.
Run for real: `kubectl batch` under a pseudo-terminal against the local API server."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time

import pytest
from support.connect import ROOT, kubeconfig_for
from support.fake_plugins import calls, exec_user, make_plugin

LEAVE_SCREEN, ENTER_SCREEN = b"\x1b[?1049l", b"\x1b[?1049h"


def test_an_expired_login_mid_session_suspends_the_app_for_the_plugin(tmp_path, api):
    api.watch_hold = 1.0
    api.policy.tokens.update({"pw1-token": "pat", "pw2-token": "pat"})
    plugin = make_plugin(
        tmp_path / "p",
        "login",
        'sys.stderr.write(f"Password {n}: "); sys.stderr.flush()\n'
        'token = sys.stdin.readline().strip() + "-token"\n'
        'answer({"token": token, "expirationTimestamp": in_seconds(3 if n == 1 else 600)})',
    )
    cfg = kubeconfig_for(tmp_path, api, exec_user(plugin, interactiveMode="Always"))
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = dict(os.environ, PYTHONPATH=str(ROOT), TERM="xterm-256color")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubectl_batch", "--kubeconfig", str(cfg)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
        cwd=ROOT,
    )
    os.close(slave)
    shown, answered, quit_at = b"", 0, None
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    shown += os.read(master, 65536)
                except OSError:
                    break
            if answered < 2 and f"Password {answered + 1}: ".encode() in shown:
                answered += 1
                os.write(master, f"pw{answered}\n".encode())
                if answered == 2:
                    quit_at = time.monotonic() + 3  # let the app resume and go on
            if quit_at and time.monotonic() > quit_at:
                os.write(master, b"q")
                quit_at = None
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert answered == 2, shown[-2000:]
    # The second prompt came while the app was suspended (its screen left, then restored).
    before, _, after = shown.partition(b"Password 2: ")
    assert before.rfind(LEAVE_SCREEN) > before.rfind(ENTER_SCREEN)
    assert ENTER_SCREEN in after
    first, second = calls(plugin)
    assert first["tty"] and second["tty"] and second["info"]["spec"]["interactive"]
    # After the new login, the watches and lists go on with the new token.
    assert api.seen[-1].header("Authorization") == "Bearer pw2-token"
    assert sum(s.header("Authorization") == "Bearer pw2-token" for s in api.seen) >= 2


@pytest.mark.asyncio
async def test_the_app_shows_a_plugins_stderr_as_a_notification_and_lends_its_terminal():
    """Headless (no terminal to lend): a plugin still runs when asked from a thread, and
    the stderr of one without the terminal becomes a notification."""
    import asyncio
    import threading

    from fixtures.tui_fakes import make_app

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        results = []
        worker = threading.Thread(
            target=lambda: (
                results.append(app.run_with_terminal(lambda: "plugin ran")),
                app.show_plugin_output("To sign in, open https://login.example/device"),
            )
        )
        worker.start()
        while worker.is_alive():
            await asyncio.sleep(0.05)
        await pilot.pause()
        assert results == ["plugin ran"]
        (note,) = list(app._notifications)
        assert note.message == "To sign in, open https://login.example/device"
        assert note.title == "Credential plugin"
