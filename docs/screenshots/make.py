"""Regenerates the README's screenshots from the recorded test objects (frozen clock), as
SVG (Textual's own) and PNG (which every Markdown viewer shows), rendered from the SVG with
resvg (`pip install '.[docs]'`: a wheel, no C library to install).

python docs/screenshots/make.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "tests" / "unit"))

from fixtures.tui_fakes import FakeKube, make_app, settle  # noqa: E402
from test_tui_main import SIZE, select  # noqa: E402

from kubectl_batch.tui.widgets.index_grid import IndexGrid  # noqa: E402


async def shoot(name: str, steps, kube: FakeKube | None = None) -> None:
    kube = kube or FakeKube()
    app = make_app(kube=kube)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        for step in steps:
            if callable(step):
                await step(pilot, app, kube)
            else:
                await pilot.press(step)
            await pilot.pause(0.1)
            await settle(pilot, app)
        await pilot.pause(0.5)
        svg = HERE / f"{name}.svg"
        app.save_screenshot(str(svg))
    to_png(svg)


def to_png(svg: Path) -> None:
    import resvg_py

    # The SVG asks for Fira Code, then any monospace font: DejaVu Sans Mono where it is.
    png = resvg_py.svg_to_bytes(svg_path=str(svg), monospace_family="DejaVu Sans Mono")
    svg.with_suffix(".png").write_bytes(bytes(png))


def choose(name: str, table: str = "jobs"):
    async def step(pilot, app, kube) -> None:
        select(app, name, table)

    return step


async def grid(pilot, app, kube) -> None:
    app.screen.query_one(IndexGrid).focus()


async def training_log(pilot, app, kube) -> None:
    pod = app.cache.pods_of(app.screen.query_one("#jobs").selected_uid)[0]["metadata"]["name"]
    kube.logs.append(
        pod,
        *[
            f"step {i * 100:>5}  loss={2.5 / (i + 1):.4f}  lr=3e-4  tokens/s=41{i % 10}22"
            for i in range(34)
        ],
    )


async def main() -> None:
    await shoot("main", [choose("render-frames")])
    await shoot("job-detail", [choose("render-frames"), "enter", grid, "right", "right", "right"])
    await shoot("job-detail-100k", [choose("param-sweep-100k"), "enter"])
    await shoot("cronjob-detail", [choose("db-backup", "cronjobs"), "enter"])
    await shoot("logs", [choose("train-model"), training_log, "l"])


if __name__ == "__main__":
    asyncio.run(main())
