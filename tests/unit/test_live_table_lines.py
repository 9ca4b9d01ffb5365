"""The Jobs table keeps the lines it rendered (issue 22: re-rendering every line after
each change was most of the CPU under churn): a change repaints its row alone, what is
on screen stays right, and the mouse still lands on the row under the pointer after the
rows moved."""

from __future__ import annotations

import asyncio
import copy

import pytest
from fixtures.tui_fakes import make_app, recorded, settle
from textual.widgets import DataTable

from kubectl_batch.tui.widgets.live_table import LiveTable


def _new_job(data: dict, name: str, created: str) -> dict:
    job = copy.deepcopy(next(j for j in data["jobs"] if j["metadata"]["name"] == "etl-daily"))
    meta = job["metadata"]
    meta["uid"], meta["name"], meta["creationTimestamp"] = f"uid-{name}", name, created
    meta["resourceVersion"] = "990001"
    return job


def _app_with_many_jobs():
    """The recorded cluster and 300 more Jobs: a table taller than its window."""
    data = recorded()
    data["jobs"] += [_new_job(data, f"bulk-{i:03}", "2026-11-22T04:50:00Z") for i in range(300)]
    return make_app(data)


async def _resume(pilot, app, job: dict) -> None:
    """The suspended ``job`` resumed and running, on screen."""
    job["spec"]["suspend"] = False
    job["status"]["conditions"] = []
    job["status"]["active"] = 1
    job["metadata"]["resourceVersion"] = str(int(job["metadata"]["resourceVersion"]) + 1)
    app.cache.put("Job", job)
    await settle(pilot, app)
    await pilot.pause()


def _line(table: LiveTable, uid: str) -> str:
    y = table.header_height + table.get_row_index(uid) - int(table.scroll_y)
    return table.render_line(y).text


@pytest.mark.asyncio
async def test_a_click_after_the_rows_moved_selects_the_row_under_the_pointer():
    data = recorded()
    app = make_app(data)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one("#jobs", LiveTable)
        table.focus()
        await pilot.pause()
        before = table.order
        # The youngest Job comes first (AGE ascending): every row moves down one.
        app.cache.put("Job", _new_job(data, "aaa-newest", app.clock().isoformat()))
        await settle(pilot, app)
        after = table.order
        assert after[0] == "uid-aaa-newest" and after[1:] == before
        target = after[3]
        y = table.header_height + 3
        # On its age: cells of ages are kept by their text, rendered for whichever row
        # showed that text first.
        x = 1
        for column in table.ordered_columns:
            if column.key.value == "age":
                break
            x += column.get_render_width(table)
        await pilot.click(table, offset=(x, y))
        await pilot.pause()
        assert table.selected_uid == target, (table.selected_uid, target)
        assert table.rows_by_uid[target].name in table.render_line(y).text


@pytest.mark.asyncio
async def test_a_status_change_repaints_its_row_alone(monkeypatch):
    data = recorded()
    app = make_app(data)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one("#jobs", LiveTable)
        await pilot.pause()
        job = copy.deepcopy(
            next(j for j in data["jobs"] if j["metadata"]["name"] == "sweep-paused")
        )
        uid = job["metadata"]["uid"]
        others = {u: _line(table, u) for u in table.order if u != uid}
        assert "Suspended" in _line(table, uid)

        rendered: list[object] = []
        original = LiveTable._row_line

        def counted(self, row_key, *args, **kwargs):
            if self is table:
                rendered.append(row_key.value)
            return original(self, row_key, *args, **kwargs)

        monkeypatch.setattr(LiveTable, "_row_line", counted)
        await _resume(pilot, app, job)

        assert "Suspended" not in _line(table, uid)
        assert "Running" in _line(table, uid)
        assert {u: _line(table, u) for u in others} == others
        # Only the changed row was put together again (DataTable did every line).
        assert set(rendered) == {uid}, rendered


class _Node:
    pass


@pytest.mark.asyncio
async def test_garbage_in_reference_cycles_is_collected_while_the_app_runs(monkeypatch):
    """The quiet gc thresholds hardly ever start a collection under a steady churn: the
    app collects on a timer instead (what a change leaves in cycles used to pile up)."""
    import gc
    import weakref

    from kubectl_batch.tui import app as app_module

    monkeypatch.setattr(app_module, "COLLECT_EVERY", 0.2)
    app = make_app(recorded())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        for _ in range(10):  # until the first tables are frozen and the timer started
            await pilot.pause(0.05)
        was_enabled = gc.isenabled()
        gc.disable()  # only the app's own collections count here
        try:
            node = _Node()
            node.me = node  # type: ignore[attr-defined]
            alive = weakref.ref(node)
            del node
            await pilot.pause(0.6)
            assert alive() is None
        finally:
            if was_enabled:
                gc.enable()


def _plain(pair) -> list:
    """Segments of a row's line as they show: text and style, but not the meta the
    mouse reads (kept cells carry the row number of when they were rendered)."""
    fixed, cells = pair
    return [[(s.text, str(s.style), (s.style.meta or {}).get("column")) for s in c] for c in cells]


@pytest.mark.asyncio
async def test_a_rows_line_is_what_datatable_makes_of_it():
    data = recorded()
    app = make_app(data)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one("#jobs", LiveTable)
        table.focus()
        table.move_cursor(row=2, animate=False)
        table.hover_coordinate = table.cursor_coordinate.down()
        await pilot.pause()
        style = table.rich_style
        for uid in table.order:
            key = table._row_locations.get_key(table.get_row_index(uid))
            cursor, hover = table.cursor_coordinate, table.hover_coordinate
            ours = table._render_line_in_row(key, 0, style, cursor, hover)
            table._drop_kept()
            theirs = DataTable._render_line_in_row(table, key, 0, style, cursor, hover)
            assert ours[0] == theirs[0] == []
            assert _plain(ours) == _plain(theirs), uid
            assert ours[1][-1] == theirs[1][-1]  # the filler, with this row's meta


@pytest.mark.asyncio
async def test_rows_places_are_datatables_without_walking_the_rows(monkeypatch):
    """A row's place is its index (rows of one line): the line a row is painted on, the
    row on a line and the table's height are DataTable's, in a scrolled table; a change
    repaints the row's line on screen, and nothing when the row is out of the window."""
    app = _app_with_many_jobs()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one("#jobs", LiveTable)
        table.scroll_to(y=150, animate=False)
        await pilot.pause()
        assert int(table.scroll_y) == 150
        assert table._total_row_height == DataTable._total_row_height.fget(table) == 312
        for y in (0, 1, 2, 150, 311):
            assert table._get_offsets(y) == DataTable._get_offsets(table, y)
        with pytest.raises(LookupError):
            table._get_offsets(400)
        for index in (0, 149, 150, 160, 311):
            assert table._get_row_region(index) == DataTable._get_row_region(table, index)
        # The space a cursor scrolls into view under (the header, fixed rows and columns).
        for fixed_rows, fixed_columns in ((0, 0), (2, 1)):
            table.fixed_rows, table.fixed_columns = fixed_rows, fixed_columns
            assert table._get_fixed_offset() == DataTable._get_fixed_offset(table)
        table.fixed_rows = table.fixed_columns = 0

        painted: list = []
        monkeypatch.setattr(table, "refresh", lambda *regions, **kw: painted.extend(regions))
        window = table.size.height
        for index in (10, 150, 151, 160, 150 + window + 5):
            painted.clear()
            table._refresh_uids((table._row_locations.get_key(index).value,))
            theirs = DataTable._get_row_region(table, index).translate(-table.scroll_offset)
            on_screen = 0 <= theirs.y < window
            assert [(r.y, r.height) for r in painted] == ([(theirs.y, 1)] if on_screen else []), (
                index
            )


@pytest.mark.asyncio
async def test_a_changed_row_is_kept_again_and_a_tick_renders_only_what_ticked(monkeypatch):
    """Textual's LRUCache keeps the first value set for a key: a row whose cells changed
    once was put together again on every paint after. And a tick that moves an age renders
    that cell alone: the row's other cells are taken from its line before."""
    data = recorded()
    app = make_app(data)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one("#jobs", LiveTable)
        job = copy.deepcopy(
            next(j for j in data["jobs"] if j["metadata"]["name"] == "sweep-paused")
        )
        uid = job["metadata"]["uid"]
        await _resume(pilot, app, job)
        assert "Running" in _line(table, uid)

        made: list[str] = []
        cells: list[tuple[str, str]] = []
        row_line, kept_cell = LiveTable._row_line, LiveTable._kept_cell

        def counted_line(self, row_key, *args, **kwargs):
            if self is table:
                made.append(row_key.value)
            return row_line(self, row_key, *args, **kwargs)

        def counted_cell(self, value, row_key, column_key, *args, **kwargs):
            if self is table:
                cells.append((row_key.value, column_key.value))
            return kept_cell(self, value, row_key, column_key, *args, **kwargs)

        monkeypatch.setattr(LiveTable, "_row_line", counted_line)
        monkeypatch.setattr(LiveTable, "_kept_cell", counted_cell)
        for _ in range(2):
            table.refresh()  # every line painted again, nothing changed
            await pilot.pause()
        assert made == []

        # A minute later: the ages (and durations of running Jobs) move, nothing else.
        app.clock.advance(60)
        table.tick(app.clock())
        await pilot.pause()
        live = {c.key for c in table.columns_spec if c.live}
        assert made and {column for _, column in cells} <= live, cells
        style = table.rich_style
        for row in table.order:
            key = table._row_locations.get_key(table.get_row_index(row))
            cursor, hover = table.cursor_coordinate, table.hover_coordinate
            ours = table._render_line_in_row(key, 0, style, cursor, hover)
            theirs = DataTable._render_line_in_row(table, key, 0, style, cursor, hover)
            assert _plain(ours) == _plain(theirs), row


@pytest.mark.asyncio
async def test_rows_come_over_frames_as_datatables_rows_with_the_cells_made_off_the_ui_thread(
    monkeypatch,
):
    """A first load is added ROWS_PER_FRAME rows a frame, in bulk: the rows are the ones
    DataTable's add_row makes, in the model's order, and a model that comes while rows are
    still being added does not render their cells again on the UI thread."""
    from kubectl_batch.tui.widgets import live_table

    monkeypatch.setattr(live_table, "ROWS_PER_FRAME", 100)
    monkeypatch.setattr(live_table, "FRAME_BUDGET", 60.0)  # rows, not time, end a frame here
    app = _app_with_many_jobs()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one("#jobs", LiveTable)
        rows = [table.rows_by_uid[u] for u in table.order]
        cells = {u: list(table._cells[u]) for u in table.order}
        now = app.clock()

        fresh = LiveTable(table.columns_spec, id="fresh")
        await app.screen.mount(fresh)
        rendered: list[str] = []
        original = fresh._row_cells
        monkeypatch.setattr(
            fresh, "_row_cells", lambda row, now: rendered.append(row.uid) or original(row, now)
        )
        fresh.apply(rows, now, cells)
        assert fresh.row_count == 100 and not fresh.complete
        fresh.apply(rows, now, {})  # the next model: nothing changed since
        while not fresh.complete:
            await pilot.pause()
        assert rendered == []
        assert fresh.order == table.order and fresh.row_count == len(rows) > 300
        for index, uid in enumerate(table.order):
            key = fresh._row_locations.get_key(index)
            assert key.value == uid
            assert fresh.rows[key].height == 1 and fresh.rows[key].label is None
            assert fresh.get_row_at(index) == cells[uid]
        assert [r.key.value for r in fresh.ordered_rows] == table.order
        assert fresh.cursor_coordinate.row == 0 and fresh.virtual_size.height == len(rows) + 1


@pytest.mark.asyncio
async def test_a_frame_adds_rows_for_its_time_budget_and_a_model_that_comes_midway_wins(
    monkeypatch,
):
    """Past FRAME_BUDGET a frame adds no more rows (at least one, so the load ends); a
    model that comes while rows are still being added replaces the one being added: its
    rows, in its order, nothing of the first left."""
    from kubectl_batch.tui.widgets import live_table

    app = _app_with_many_jobs()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one("#jobs", LiveTable)
        rows = [table.rows_by_uid[u] for u in table.order][:20]
        now = app.clock()
        fresh = LiveTable(table.columns_spec, id="fresh")
        await app.screen.mount(fresh)
        monkeypatch.setattr(live_table, "FRAME_BUDGET", 0.0)
        fresh.apply(rows, now)
        assert fresh.row_count == 1 and not fresh.complete
        second = rows[4::-1] + rows[6:]  # the one added and more, reversed; one gone
        gone = rows[5].uid
        fresh.apply(second, now)
        assert fresh.row_count == 2 and not fresh.complete
        while not fresh.complete:
            await pilot.pause()
        assert fresh.order == [r.uid for r in second]
        assert [r.key.value for r in fresh.ordered_rows] == fresh.order
        assert gone not in fresh.rows_by_uid and fresh.row_count == len(rows) - 1


@pytest.mark.asyncio
async def test_no_model_is_built_while_the_last_is_still_being_put_on_screen(monkeypatch):
    """A change that comes while a table is still adding the last model's rows is built
    into the next model once those rows are all in, not meanwhile (a model built then
    would replace one not yet shown, and building takes the UI thread's turns at the GIL);
    a rebuild asked for is built at once."""
    from kubectl_batch.tui import app as tui_app
    from kubectl_batch.tui.widgets import live_table

    monkeypatch.setattr(tui_app, "ON_SCREEN_WAIT", 60.0)
    app = _app_with_many_jobs()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        screen = app.screen
        table = screen.query_one("#jobs", LiveTable)
        builds: list[bool] = []  # was the table still adding rows?
        build = screen.build

        def counting_build(cache, clock):
            builds.append(not table.complete)
            return build(cache, clock)

        monkeypatch.setattr(screen, "build", counting_build)
        # The table adds 10 rows, then holds the rest until the gate opens.
        gate = asyncio.Event()
        resume = LiveTable._continue

        def gated(self) -> None:
            if self is table and not gate.is_set():
                self.set_timer(0.01, lambda: gated(self))
            else:
                resume(self)

        monkeypatch.setattr(live_table, "ROWS_PER_FRAME", 10)
        monkeypatch.setattr(LiveTable, "_continue", gated)
        for job in app.cache.jobs():  # every row changes
            job = copy.deepcopy(job)
            job["metadata"]["resourceVersion"] += "1"
            app.cache.put("Job", job)
        while not builds or table.complete:
            await asyncio.sleep(0.01)
        paused = copy.deepcopy(
            next(j for j in app.cache.jobs() if j["metadata"]["name"] == "sweep-paused")
        )
        paused["spec"]["suspend"] = False
        paused["status"].update(conditions=[], active=1)
        paused["metadata"]["resourceVersion"] += "2"
        app.cache.put("Job", paused)
        await asyncio.sleep(3 * tui_app.REFRESH_INTERVAL)
        assert builds == [False]
        gate.set()
        await settle(pilot, app)
        assert builds[1:] and not any(builds)
        assert "Running" in _line(table, paused["metadata"]["uid"])

        # A rebuild asked for (a query changed, a screen pushed) does not wait: the model
        # being put on screen is of the query before.
        gate.clear()
        del builds[:]
        for job in app.cache.jobs():
            job = copy.deepcopy(job)
            job["metadata"]["resourceVersion"] += "3"
            app.cache.put("Job", job)
        while not builds or table.complete:
            await asyncio.sleep(0.01)
        app.poke()
        # Built within seconds, not after ON_SCREEN_WAIT (60 s here); a build of these 300
        # Jobs over the fake cache can take most of a second on a busy machine.
        for _ in range(500):
            if len(builds) > 1:
                break
            await asyncio.sleep(0.01)
        assert builds == [False, True]
        gate.set()
        await settle(pilot, app)


@pytest.mark.asyncio
async def test_the_first_build_with_some_tables_listed_waits_for_the_rest_once(monkeypatch):
    """The refresher asks the cache to wait for the rest of the tables' LISTs (the pods,
    once the Jobs are in) before it builds, and once it has waited, never again: a table
    built without the pods would be built again as they come, beside their decoding."""
    from fixtures.tui_fakes import FakeCache

    calls: list[str] = []

    def wait_rest_of_tables(self, timeout: float) -> bool:
        calls.append("wait")
        return True  # some tables were listed, not all: it waited

    monkeypatch.setattr(FakeCache, "wait_rest_of_tables", wait_rest_of_tables)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        build = app.screen.build

        def counting_build(cache, clock):
            calls.append("build")
            return build(cache, clock)

        monkeypatch.setattr(app.screen, "build", counting_build)
        for n in range(3):  # three changes, three builds
            job = copy.deepcopy(app.cache.jobs()[0])
            job["metadata"]["resourceVersion"] += str(n)
            app.cache.put("Job", job)
            await settle(pilot, app)
    assert calls[0] == "wait" and calls.count("wait") == 1
    assert calls.count("build") >= 3
