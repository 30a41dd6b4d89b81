"""``python -m bench.audit_chain``: the audit log's growth per year at city scale, and what the
hash chain costs per write, on SQLite and PostgreSQL.

Writes per day are derived from the city's figures (DOMAIN.md, the 2025 review) under the
assumptions printed with the result; the bytes per row are measured on each database with rows
shaped like the console's own (an update with a before/after pair).  The chain's cost is the same
write, one transaction each, with and without its link (the head row's lock, the HMAC, the head
file's line), side by side with the ratio.  A benchmark that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from .data import POSTGRES_SERVER, postgres_available

WORKING_DAYS = 250

# (what, events per year, audit rows per event, where the figure comes from)
VOLUME = [
    ("登录（约 1,950 个账号，工作日半数登录）", 1_950 * WORKING_DAYS // 2, 1,
     "1,424 个村(社区) + 150 个乡镇各 3 人 + 11 个县区各 5 人 + 市级 20 人"),
    ("村级牌子检查（自查、乡镇复查、县级复核，每季度）", 1_424 * 3 * 4, 11,
     "1 次检查 + 约 8 块牌子 + 2 张照片"),
    ("三送三进走访（43.2 万家企业中每年约 5 万次）", 50_000, 6,
     "走访 1 条 + 诉求 1 条 + 约 4 次状态变化"),
    ("社工人才（约 5,000 人，登记、学时、督导）", 5_000, 10, "每人每年约 10 次变更"),
    ("导入、设置、插件开关等管理操作", WORKING_DAYS * 20, 1, "每个工作日约 20 次"),
]


def _row(n: int) -> dict:
    from console.foundation.clock import utcnow

    return {
        "at": utcnow(), "user_id": 1000 + n % 1950, "username": f"zhaoyang{n % 97:02d}",
        "action": "update", "entity": "visits_problem", "entity_id": str(100_000 + n),
        "summary": f"修改诉求 #{100_000 + n}：某某商贸有限公司用地审批办理进度",
        "changes": '{"status":["办理中","待企业确认"],"result":[null,"已协调自然资源局完成用地预审，企业确认"]}',
        "ip": "10.53.6.21",
    }


def _app(url: str, instance: Path):
    from console.app import create_app

    os.environ["JICENG_INSTANCE_PATH"] = str(instance)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": uuid.uuid4().hex * 2})
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    return app


def _write(app, writes: int, chained: bool) -> float:
    """Seconds per write, each write one transaction of its own."""
    from console.audit import chain
    from console.audit.models import AuditLog
    from console.foundation.extensions import db

    insert = AuditLog.__table__.insert()
    with app.app_context():
        started = time.perf_counter()
        for n in range(writes):
            row = _row(n)
            info = {}
            with db.engine.begin() as conn:
                if chained:
                    chain.extend(conn, info, [row])
                conn.execute(insert, [row])
            if chained:
                chain.after_commit(info)
        return (time.perf_counter() - started) / writes


def _bytes_per_row(app, kind: str) -> float:
    from console.foundation.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar()
        if kind == "postgres":
            size = conn.execute(sa.text("SELECT pg_total_relation_size('audit_log')")).scalar()
        else:
            # dbstat counts the pages of the table and of each of its indexes.
            size = conn.execute(sa.text(
                "SELECT sum(pgsize) FROM dbstat WHERE name = 'audit_log' OR name IN "
                "(SELECT name FROM sqlite_master WHERE tbl_name = 'audit_log' AND type = 'index')")).scalar()
    return size / rows


def measure(kind: str, writes: int, workdir: Path) -> dict:
    if kind == "postgres":
        name = f"jiceng_bench_audit_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
    else:
        url = "sqlite:///" + str(workdir / "audit.db")
    app = _app(url, workdir / f"instance-{kind}")
    try:
        # Alternating halves, so a change of load on the shared machine falls on both alike.
        plain, linked = [], []
        for _ in range(2):
            plain.append(_write(app, writes // 2, chained=False))
            linked.append(_write(app, writes // 2, chained=True))
        return {"plain": sum(plain) / 2, "chained": sum(linked) / 2, "row_bytes": _bytes_per_row(app, kind)}
    finally:
        from console.foundation.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if kind == "postgres":
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.audit_chain", description=__doc__)
    p.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--writes", type=int, default=2000, help="writes measured each way per database")
    args = p.parse_args(argv)
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    if "postgres" in kinds and not postgres_available():
        print("PostgreSQL 不可用，只测 SQLite")
        kinds = ["sqlite"]

    per_year = sum(events * rows for _, events, rows, _ in VOLUME)
    print("审计日志写入量（全市规模，假设如下，可按实际调整 bench/audit_chain.py 的 VOLUME）：")
    for what, events, rows, why in VOLUME:
        print(f"  {what}: {events:,} 次/年 × {rows} 条 = {events * rows:,} 条/年（{why}）")
    print(f"  合计 {per_year:,} 条/年，约 {per_year / WORKING_DAYS:,.0f} 条/工作日")
    print()
    print(f"{'database':<10} {'bytes/row':>10} {'GB/year':>8} {'GB/180 d':>9} "
          f"{'plain ms/write':>15} {'chained ms/write':>17} {'chained/plain':>14}")
    with tempfile.TemporaryDirectory(prefix="jiceng-bench-audit-") as tmp:
        for kind in kinds:
            got = measure(kind, args.writes, Path(tmp))
            year = got["row_bytes"] * per_year / 1e9
            print(f"{kind:<10} {got['row_bytes']:>10.0f} {year:>8.2f} {year * 180 / 365:>9.2f} "
                  f"{got['plain'] * 1000:>15.3f} {got['chained'] * 1000:>17.3f} "
                  f"{got['chained'] / got['plain']:>13.2f}x")
    print()
    _password_cost()
    return 0


def _password_cost() -> None:
    """PBKDF2-HMAC-SM3 under JICENG_CRYPTO=sm beside werkzeug's default scrypt: the iteration
    count (console.foundation.crypto.SM_PASSWORD_METHOD) is chosen to cost about the same."""
    from werkzeug.security import generate_password_hash

    from console.foundation.crypto import SM_PASSWORD_METHOD

    costs = {}
    for method in ("scrypt", SM_PASSWORD_METHOD):
        started = time.perf_counter()
        for _ in range(5):
            generate_password_hash("Bench-Pass-2026!", method=method)
        costs[method] = (time.perf_counter() - started) / 5
    print(f"口令哈希：scrypt {costs['scrypt'] * 1000:.0f} ms，{SM_PASSWORD_METHOD} "
          f"{costs[SM_PASSWORD_METHOD] * 1000:.0f} ms（{costs[SM_PASSWORD_METHOD] / costs['scrypt']:.2f}x）")


if __name__ == "__main__":
    raise SystemExit(main())
