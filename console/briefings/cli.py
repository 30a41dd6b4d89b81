"""``jiceng briefing run``: the command's work, kept beside the engine it drives."""

from __future__ import annotations

import click

from console.briefings import periods, runs, schedules
from console.foundation import clock
from console.foundation.errors import ConsoleError
from console.foundation.extensions import db


def run(schedule_id, scope_text, period_text, out_path, *, fail, appendix: bool = False) -> None:
    try:
        if schedule_id is not None:
            ids = _for_schedule(schedule_id)
        else:
            if not (scope_text and period_text):
                fail("请给出 --schedule ID，或同时给出 --scope 与 --period")
            region = runs.find_region(db.session, scope_text)
            period = periods.parse(period_text, today=clock.today())
            ids = [runs.create(region, period, appendix=appendix).id]
    except ConsoleError as exc:
        fail(exc.message)
    failed = False
    for run_id in ids:
        run = runs.execute(run_id)
        click.echo(f"简报 #{run.id}（{run.region.name}，{run.period}）：{run.state_title}"
                   + (f"，{run.pages} 页，{run.size:,} 字节" if run.pdf is not None else ""))
        if run.error:
            click.echo(f"  {run.error}")
        failed = failed or run.state == "failed"
        if out_path and run.pdf is not None:
            with open(out_path, "wb") as fh:
                fh.write(run.pdf)
            click.echo(f"已写入 {out_path}")
    if failed:
        fail("简报生成失败")


def _for_schedule(schedule_id: int) -> list[int]:
    """The schedule's current slot, claimed like the scheduler does, for every reader scope."""
    schedule = schedules.get(db.session, schedule_id)
    slot = clock.utcnow().replace(second=0, microsecond=0)
    ids = runs.claim_slot(schedule, slot)
    if not ids:
        raise ConsoleError("这一分钟的简报已由其他进程生成")
    return ids
