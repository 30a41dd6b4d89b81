"""``python -m bench.bundle``: build the offline bundle once and print its size and build time,
with the size of each part (wheels, font, Debian packages).  Figures only: nothing is asserted."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as out:
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(ROOT / "deploy" / "build_bundle.py"), "--out", out],
                                check=True, capture_output=True, text=True)
        seconds = time.monotonic() - started
        archive = Path(result.stdout.strip().splitlines()[-1])
        parts: dict[str, int] = defaultdict(int)
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                if member.isfile():
                    path = member.name.split("/", 1)[1]
                    parts[path.split("/", 1)[0] if "/" in path else "(top)"] += member.size
        packed = archive.stat().st_size
        unpacked = sum(parts.values())
        print(f"bundle {archive.name}")
        print(f"  build time        {seconds:8.1f} s")
        print(f"  archive           {packed / 2**20:8.1f} MiB  ({packed / unpacked:.2f} of unpacked)")
        print(f"  unpacked          {unpacked / 2**20:8.1f} MiB")
        for name, size in sorted(parts.items(), key=lambda item: -item[1]):
            print(f"    {name:<15} {size / 2**20:8.1f} MiB  {size / unpacked:6.1%}")


if __name__ == "__main__":
    main()
