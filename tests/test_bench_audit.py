"""bench/audit_chain.py works: a tiny run prints the growth estimate and the chain's cost ratio.

Not a timed test: only the presence and shape of the figures are checked."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BACKEND

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.bench


def test_audit_bench_prints_growth_per_year_and_the_chains_cost_beside_plain_writes():
    env = {k: v for k, v in os.environ.items() if not k.startswith("JICENG_")}
    if BACKEND == "postgres":
        env["BENCH_POSTGRES_URL"] = os.environ.get(
            "JICENG_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    proc = subprocess.run([sys.executable, "-m", "bench.audit_chain", "--database", BACKEND, "--writes", "40"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    lines = proc.stdout.splitlines()
    assert any(re.match(r"  合计 [\d,]+ 条/年，约 [\d,]+ 条/工作日$", line) for line in lines)
    [row] = [line.split() for line in lines if line.startswith(BACKEND + " ")]
    bytes_per_row, per_year, half_year, plain, chained, ratio = row[1:]
    assert float(bytes_per_row) > 100 and float(per_year) > 0 and float(plain) > 0 and float(chained) > 0
    assert ratio.endswith("x") and float(ratio[:-1]) > 0
    assert any(line.startswith("口令哈希：scrypt") for line in lines)
