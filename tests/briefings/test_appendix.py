"""The appendix option: a schedule's setting or the command line's --appendix reaches the
plugins' hook, which then adds its ledgers; without it the snapshot carries none.  One real
render of the 村级挂牌 and 社会工作人才 sections with the ledger appendix."""

from __future__ import annotations

import json
import re

import pytest

from console.briefings import document, runs, schedules
from console.briefings.models import BriefingRun
from console.regions.models import Region
from console.foundation.clock import utcnow

from .conftest import ZHAOYANG, pdf_text, requires_poppler

TOFU = re.compile("[\u25a1\ufffd\u3013]")


@pytest.fixture
def modules(world):
    from console.plugins import manager as plugins
    from jiceng.plugins.nameplates import demo

    for name in ("nameplates", "talent"):
        plugins.set_enabled(name, True)
    demo.load(world.session)
    world.session.commit()
    return world


def _appendices(snapshot):
    return {s["plugin"]: s["appendix"] for s in snapshot["sections"] if s["appendix"]}


def test_a_schedules_appendix_setting_reaches_its_runs_and_the_hook(modules, month):
    data = {"name": "月报", "recurrence": "monthly", "day_of_month": "1", "time_of_day": "08:00",
            "period_kind": "month", "region_id": str(modules.region(ZHAOYANG).id),
            "sections": ["visits", "nameplates"], "recipient_users": [str(modules.user("admin").id)]}
    plain = schedules.save(modules.session, dict(data))
    full = schedules.save(modules.session, dict(data, name="带附录", appendix="on"))
    modules.session.commit()
    assert (plain.appendix, full.appendix) == (False, True)
    slot = utcnow().replace(second=0, microsecond=0)
    [plain_run], [full_run] = runs.claim_slot(plain, slot), runs.claim_slot(full, slot)
    modules.session.expire_all()
    assert modules.session.get(BriefingRun, plain_run).appendix is False
    assert modules.session.get(BriefingRun, full_run).appendix is True

    region = modules.region(ZHAOYANG)
    # The visits hook takes no appendix argument and still runs.
    without = document.gather(region, month, ["visits", "nameplates"])
    with_it = document.gather(region, month, ["visits", "nameplates"], appendix=True)
    assert [s["failed"] for s in with_it["sections"]] == [False, False]
    assert _appendices(without) == {}
    [ledger] = _appendices(with_it)["nameplates"]
    villages = modules.session.query(Region).filter(Region.level == "village", Region.path.startswith(region.path))
    assert ledger["widths"] and len(ledger["rows"]) == villages.count() > 0
    assert without["id"] != with_it["id"]


@requires_poppler
def test_cli_appendix_flag_prints_the_village_ledger(modules, month, app, tmp_path):
    out = tmp_path / "附录.pdf"
    result = app.test_cli_runner().invoke(args=["briefing", "run", "--scope", ZHAOYANG, "--period",
                                                month.key, "--out", str(out), "--appendix"])
    assert result.exit_code == 0, result.output
    run = modules.session.query(BriefingRun).order_by(BriefingRun.id.desc()).first()
    assert run.appendix is True and run.state == "succeeded", run.error
    snapshot = json.loads(run.snapshot)
    [ledger] = _appendices(snapshot)["nameplates"]
    text = pdf_text(out.read_bytes(), tmp_path).replace(" ", "")
    for words in ("村级组织挂牌整治", "社会工作人才", "分县(市、区)持证情况", "村级挂牌台账", "附录"):
        assert words in text, words
    # The ledger's first and last villages are printed, so the whole table made it in.
    assert ledger["rows"][0][2]["text"] in text and ledger["rows"][-1][2]["text"] in text
    assert not TOFU.search(text)

    result = app.test_cli_runner().invoke(args=["briefing", "run", "--scope", ZHAOYANG, "--period", month.key])
    assert result.exit_code == 0, result.output
    run = modules.session.query(BriefingRun).order_by(BriefingRun.id.desc()).first()
    assert run.appendix is False and _appendices(json.loads(run.snapshot)) == {}
