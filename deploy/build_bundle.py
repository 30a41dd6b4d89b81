"""Build the offline bundle: one archive that installs the console on a host with no internet.

    python deploy/build_bundle.py [--version 0.1.0] [--arch x86_64|aarch64] [--out dist]

Run on a build host that reaches the package registries (PyPI or its mirror, Debian's mirror),
with the project's virtualenv: its `pip freeze` is the set of versions tested together, so every
dependency of the bundle is pinned to what the suite ran on.  The archive holds

    wheels/            the console's wheel and a wheel of every dependency (no source packages)
    requirements.txt   name==version --hash=sha256:... for each wheel (pip --require-hashes)
    fonts/             Noto Sans CJK SC, regular and bold, cut out of Debian's fonts-noto-cjk
                       collections, with its licence (SIL OFL 1.1)
    debs/              the Debian packages WeasyPrint needs that a minimal Debian 12 lacks
    install.sh, systemd/*.in, VERSION, PLATFORM, MANIFEST (SHA-256 of every other file)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DEBIAN_FONTS = Path("/usr/share/fonts/opentype/noto")
FONT_LICENCE = Path("/usr/share/doc/fonts-noto-cjk/copyright")
FONT_FAMILY = "Noto Sans CJK SC"
# The single faces the console looks for (console/foundation/fonts.py, SHIPPED_FILES).
FONT_FACES = {"NotoSansCJK-Regular.ttc": "NotoSansCJKsc-Regular.otf",
              "NotoSansCJK-Bold.ttc": "NotoSansCJKsc-Bold.otf"}
# What WeasyPrint loads through cffi (weasyprint/text/ffi.py); fontconfig's own configuration
# and a default face come with them as dependencies.
WEASYPRINT_DEBS = ["libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz0b", "libharfbuzz-subset0"]
# pip download's platform tags for a target other than the build host.
PLATFORM_TAGS = {"aarch64": ["manylinux_2_36_aarch64", "manylinux_2_28_aarch64",
                             "manylinux_2_17_aarch64", "manylinux2014_aarch64"]}
DEBIAN_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}


def log(message: str) -> None:
    print(f"bundle: {message}", flush=True)


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], check=True, **kwargs)


def project_version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]["version"]


def platform_name(arch: str) -> str:
    """e.g. debian12-cp311-x86_64: the host the wheels and the .debs are for."""
    release = "12"
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("VERSION_ID="):
                release = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return f"debian{release}-cp{sys.version_info.major}{sys.version_info.minor}-{arch}"


# -- the console's wheel and its dependencies --------------------------------------------------


def console_wheel(version: str, dest: Path) -> Path:
    """The console's wheel; for another version number it is built from a copy of the tree
    with that number (the upgrade test installs an "older" bundle this way)."""
    source = ROOT
    with tempfile.TemporaryDirectory(prefix="jiceng-src-") as tmp:
        if version != project_version():
            source = Path(tmp) / "src"
            shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
                ".git", ".venv", "dist", "build", "instance", "*.egg-info", "__pycache__"))
            pyproject = source / "pyproject.toml"
            text = pyproject.read_text()
            pyproject.write_text(re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', text, count=1))
        out = Path(tmp) / "wheel"
        run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
            "--wheel-dir", out, source)
        (wheel,) = out.glob("jiceng_console-*.whl")
        return Path(shutil.copy2(wheel, dest / wheel.name))


def tested_versions(dest: Path) -> Path:
    """The build virtualenv's versions, as pip constraints (the console itself left out)."""
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
                            check=True, capture_output=True, text=True).stdout
    lines = [line for line in frozen.splitlines()
             if "==" in line and not line.lower().startswith(("jiceng-console", "jiceng_console"))]
    path = dest / "constraints.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def download_wheels(console: Path, wheels: Path, constraints: Path, arch: str) -> None:
    target = []
    if arch != os.uname().machine:
        target = ["--python-version", f"{sys.version_info.major}.{sys.version_info.minor}",
                  "--implementation", "cp", "--abi", f"cp{sys.version_info.major}{sys.version_info.minor}"]
        for tag in PLATFORM_TAGS[arch]:
            target += ["--platform", tag]
    # pip itself: install.sh makes the virtualenv without ensurepip (Debian's python3 lacks it
    # unless python3-venv is installed) and runs pip from its wheel.
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest",
           wheels, "-c", constraints, *target]
    quiet_pip(*pip, console, "pip")
    while gaps := marker_gaps(wheels):
        log(f"for other {sys.version_info.major}.{sys.version_info.minor}.x: {' '.join(gaps)}")
        quiet_pip(*pip, *gaps)


def quiet_pip(*args) -> None:
    """pip, without its warnings about configured index folders that do not exist."""
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    noise = "WARNING: Location "
    sys.stderr.write("".join(line + "\n" for line in result.stderr.splitlines() if not line.startswith(noise)))
    if result.returncode:
        raise SystemExit(f"bundle: pip failed ({result.returncode})")


# pip evaluates markers with the building interpreter only, so a dependency such as redis's
# async-timeout (python_full_version < "3.11.3") would be missing on Debian 12's CPython 3.11.2
# when the build host runs a later 3.11.  Every patch release of the target minor version counts.
TARGET_PATCHES = range(0, 15)


def marker_gaps(wheels: Path) -> list[str]:
    """Requirements that some CPython 3.11.x needs and the downloaded wheels do not cover."""
    import zipfile

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    have = {canonicalize_name(WHEEL_NAME.match(w.name)["name"]) for w in wheels.glob("*.whl")}
    minor = f"{sys.version_info.major}.{sys.version_info.minor}"
    environments = [{"python_full_version": f"{minor}.{patch}", "python_version": minor, "extra": ""}
                    for patch in TARGET_PATCHES]
    gaps = set()
    for wheel in wheels.glob("*.whl"):
        with zipfile.ZipFile(wheel) as zf:
            meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
            lines = zf.read(meta).decode().splitlines()
        for line in lines:
            if not line.startswith("Requires-Dist: "):
                continue
            req = Requirement(line[len("Requires-Dist: "):])
            if canonicalize_name(req.name) in have or req.marker is None:
                continue
            if any(req.marker.evaluate(env) for env in environments):
                gaps.add(f"{req.name}{req.specifier}")
    return sorted(gaps)


WHEEL_NAME = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)-.*\.whl$")


def hashed_requirements(wheels: Path, path: Path) -> None:
    lines = []
    for wheel in sorted(wheels.glob("*.whl")):
        match = WHEEL_NAME.match(wheel.name)
        if not match:
            raise SystemExit(f"bundle: not a wheel name: {wheel.name}")
        name = re.sub(r"[-_.]+", "-", match["name"]).lower()
        lines.append(f"{name}=={match['version']} --hash=sha256:{sha256(wheel)}")
    sources = [p.name for p in wheels.iterdir() if not p.name.endswith(".whl")]
    if sources:
        raise SystemExit(f"bundle: source packages are not shipped: {', '.join(sources)}")
    path.write_text("\n".join(lines) + "\n")


# -- the font ------------------------------------------------------------------------------


def ensure_debian_package(package: str, probe: Path) -> None:
    if probe.exists():
        return
    if os.geteuid() != 0:
        raise SystemExit(f"bundle: {probe} is missing: run 'apt-get install {package}' as root")
    log(f"installing {package} on the build host ...")
    run("apt-get", "update", "-qq")
    run("apt-get", "install", "-y", "-qq", package, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        stdout=subprocess.DEVNULL)


def cut_fonts(dest: Path) -> None:
    """One face per file: a whole collection renamed by @font-face would let fontconfig pick
    the Japanese or Korean member; the SC member alone cannot."""
    from fontTools.ttLib import TTCollection

    ensure_debian_package("fonts-noto-cjk", DEBIAN_FONTS / "NotoSansCJK-Regular.ttc")
    for collection_name, face_name in FONT_FACES.items():
        collection = TTCollection(str(DEBIAN_FONTS / collection_name))
        for font in collection.fonts:
            if font["name"].getDebugName(1) == FONT_FAMILY:
                font.save(str(dest / face_name))
                break
        else:
            raise SystemExit(f"bundle: no {FONT_FAMILY} face in {collection_name}")
    shutil.copyfile(FONT_LICENCE, dest / "LICENSE-OFL.txt")


# -- the Debian packages -------------------------------------------------------------------


def _simulated(packages: list[str], arch: str) -> set[str]:
    """What apt would install for ``packages`` on a system with nothing installed."""
    out = subprocess.run(
        ["apt-get", "-s", "-o", "Dir::State::status=/dev/null", "-o", "APT::Install-Recommends=false",
         "-o", f"APT::Architecture={arch}", "install", *packages],
        check=True, capture_output=True, text=True).stdout
    return {line.split()[1] for line in out.splitlines() if line.startswith("Inst ")}


def _minimal_debian() -> list[str]:
    """The packages every Debian installation has: Essential or Priority required."""
    lists = sorted(Path("/var/lib/apt/lists").glob("*_Packages*"))
    if not lists:
        raise SystemExit("bundle: apt has no package lists: run 'apt-get update'")
    found, name = set(), None
    for path in lists:
        text = subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", str(path)], check=True,
                              capture_output=True, text=True).stdout
        for line in text.splitlines():
            if line.startswith("Package: "):
                name = line[9:].strip()
            elif line in ("Priority: required", "Essential: yes"):
                found.add(name)
    return sorted(found)


def debs_needed(arch: str) -> list[str]:
    """WeasyPrint's libraries and their dependencies, less what a minimal Debian 12 already has
    (the Essential and required packages and what they depend on)."""
    base = _minimal_debian()
    return sorted(_simulated(WEASYPRINT_DEBS, arch) - _simulated(base, arch) - set(base))


def download_debs(dest: Path, arch: str) -> None:
    packages = debs_needed(DEBIAN_ARCH[arch])
    log(f"Debian packages: {' '.join(packages)}")
    run("apt-get", "download", "-qq", *(f"{p}:{DEBIAN_ARCH[arch]}" for p in packages), cwd=dest,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# -- the archive ---------------------------------------------------------------------------


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(top: Path) -> None:
    files = sorted(p for p in top.rglob("*") if p.is_file() and p.name != "MANIFEST")
    lines = [f"{sha256(p)}  {p.relative_to(top).as_posix()}" for p in files]
    (top / "MANIFEST").write_text("\n".join(lines) + "\n")


def build(version: str, arch: str, out: Path) -> Path:
    name = f"jiceng-bundle-{version}-{platform_name(arch)}"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jiceng-bundle-") as tmp:
        top = Path(tmp) / name
        for sub in ("wheels", "fonts", "debs", "systemd"):
            (top / sub).mkdir(parents=True)
        log(f"console {version} wheel ...")
        console = console_wheel(version, top / "wheels")
        log("dependency wheels ...")
        download_wheels(console, top / "wheels", tested_versions(Path(tmp)), arch)
        hashed_requirements(top / "wheels", top / "requirements.txt")
        log("font ...")
        cut_fonts(top / "fonts")
        log("Debian packages ...")
        download_debs(top / "debs", arch)
        shutil.copy2(DEPLOY / "install.sh", top / "install.sh")
        for unit in sorted((DEPLOY / "systemd").glob("*.in")):
            shutil.copy2(unit, top / "systemd" / unit.name)
        (top / "VERSION").write_text(f"{version}\n")
        (top / "PLATFORM").write_text(f"{platform_name(arch)}\n")
        write_manifest(top)
        archive = out / f"{name}.tar.gz"
        partial = archive.with_suffix(".partial")
        run("tar", "-C", tmp, "-czf", partial, name)
        partial.replace(archive)  # never a half-written archive under the final name
    return archive


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Build the console's offline bundle.")
    parser.add_argument("--version", default=project_version(), help="the console's version number")
    parser.add_argument("--arch", default=os.uname().machine, choices=sorted(DEBIAN_ARCH))
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    started = time.monotonic()
    archive = build(args.version, args.arch, args.out)
    size = archive.stat().st_size / 1024 / 1024
    log(f"wrote {archive} ({size:.1f} MB in {time.monotonic() - started:.0f} s)")
    print(archive)


if __name__ == "__main__":
    main()
