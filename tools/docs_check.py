"""Check the documentation: links resolve, runnable blocks run, the reference is current.

    python tools/docs_check.py              # everything (what `make docs-check` runs)
    python tools/docs_check.py --links      # links only (no emulator, a second)
    python tools/docs_check.py -k migrating # only runnable blocks of files whose name contains this

Links: every relative link and image in README.md and docs/*.md must point to a file inside the
repository and, with ``#anchor``, to a heading (GitHub's slug) or ``<a name=...>`` of that file.

Runnable blocks: a fenced block whose info string is ``python run`` or ``bash run`` is executed,
file by file in document order, against one local emulator started for the check. Every block of a
file runs in the same scratch directory (so a later block sees the files an earlier one made), with
the environment variable ``ASM_STATE_DIR`` pointing at the emulator's state directory (its
``endpoint.json`` has host, subscription id, certificate and CA paths) and ``ASM_POLL_INTERVAL=0.2``.
``python run setup`` marks a block that is run before every later ``python run`` block of the same
file (shared imports and variables); ``<lang> file=PATH`` writes the block to PATH in the scratch
directory without running it.
Blocks run with the venv's ``python``/``airflow`` first on PATH, without inherited ``AIRFLOW_*``
variables, each in its own process group (killed afterwards) and with a timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BLOCK_TIMEOUT = 300.0
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
ANCHOR_TAG = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.IGNORECASE)


@dataclass
class Block:
    path: Path
    line: int
    lang: str
    flags: list[str]
    text: str


def doc_files() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def scan(path: Path) -> tuple[list[tuple[int, str]], list[Block]]:
    """Return (prose lines with their numbers, fenced blocks) of a Markdown file."""
    prose: list[tuple[int, str]] = []
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            prose.append((i + 1, lines[i]))
            i += 1
            continue
        fence, info = match.group("fence"), match.group("info").strip().split()
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1
        lang = info[0] if info else ""
        blocks.append(Block(path, start, lang, info[1:], "\n".join(body) + "\n"))
    return prose, blocks


def slugify(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"<[^>]+>", "", heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    counts: dict[str, int] = {}
    prose, _ = scan(path)
    for _, line in prose:
        found.update(ANCHOR_TAG.findall(line))
        match = HEADING.match(line)
        if match:
            slug = slugify(match.group(2))
            n = counts.get(slug, 0)
            counts[slug] = n + 1
            found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def check_links(files: list[Path]) -> list[str]:
    errors: list[str] = []
    cache: dict[Path, set[str]] = {}
    for path in files:
        prose, _ = scan(path)
        for number, line in prose:
            stripped = re.sub(r"`[^`]*`", "", line)  # links inside inline code are not links
            targets = LINK.findall(stripped)
            ref = REF_DEF.match(stripped)
            if ref:
                targets.append(ref.group(1))
            for target in targets:
                if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
                    continue  # http:, https:, mailto: ...
                where = f"{path.relative_to(REPO)}:{number}"
                file_part, _, anchor = target.partition("#")
                dest = (path.parent / file_part).resolve() if file_part else path
                try:
                    dest.relative_to(REPO)
                except ValueError:
                    errors.append(f"{where}: link {target!r} leaves the repository")
                    continue
                if not dest.exists():
                    errors.append(f"{where}: link {target!r}: {dest.relative_to(REPO)} does not exist")
                    continue
                if anchor and dest.suffix == ".md":
                    if dest not in cache:
                        cache[dest] = anchors(dest)
                    if anchor not in cache[dest]:
                        errors.append(f"{where}: link {target!r}: no heading #{anchor} in {dest.name}")
    return errors


def block_env(state_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env["ASM_STATE_DIR"] = str(state_dir)
    env["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    env["PYTHONUNBUFFERED"] = "1"
    env["ASM_POLL_INTERVAL"] = "0.2"  # the emulator runs at speed 200: poll often
    env["AIRFLOW_HOME"] = str(state_dir.parent / "airflow-home")  # never the user's ~/airflow
    return env


def run_block(block: Block, setup: str, cwd: Path, env: dict[str, str]) -> str | None:
    """Run one block; return an error text, or None."""
    if block.lang == "python":
        cmd = [sys.executable, "-c", setup + "\n" + block.text]
    else:
        cmd = ["bash", "-euo", "pipefail", "-c", block.text]
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=BLOCK_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return f"timed out after {BLOCK_TIMEOUT:.0f}s\n{out[-3000:]}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # anything the block left running in background
    where = f"{block.path.relative_to(REPO)}:{block.line}"
    print(f"  {where} ({block.lang}) {time.monotonic() - started:.1f}s rc={proc.returncode}", flush=True)
    if proc.returncode != 0:
        return f"exit code {proc.returncode}\n{out[-4000:]}"
    return None


def is_runnable(block: Block) -> bool:
    return "run" in block.flags or any(f.startswith("file=") for f in block.flags)


def check_blocks(files: list[Path], only: str | None) -> list[str]:
    from airflow_sm_provider.emulator import Emulator

    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="docs-check-") as tmp:
        state_dir = Path(tmp) / "asm"
        with Emulator(state_dir, speed=200.0, seed=0):
            env = block_env(state_dir)
            for path in files:
                if only and only not in path.name:
                    continue
                _, blocks = scan(path)
                runnable = [b for b in blocks if is_runnable(b)]
                if not runnable:
                    continue
                print(f"{path.relative_to(REPO)}: {len(runnable)} runnable blocks", flush=True)
                cwd = Path(tmp) / path.stem
                cwd.mkdir()
                setup = ""
                for block in runnable:
                    target = next((f[5:] for f in block.flags if f.startswith("file=")), None)
                    if target:
                        dest = cwd / target
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        dest.write_text(block.text)
                        continue
                    if block.lang not in ("python", "bash", "console"):
                        errors.append(f"{path.relative_to(REPO)}:{block.line}: cannot run {block.lang!r}")
                        continue
                    if "setup" in block.flags:
                        setup += block.text
                    error = run_block(block, setup if "setup" not in block.flags else "", cwd, env)
                    if error:
                        errors.append(f"{path.relative_to(REPO)}:{block.line}: block failed: {error}")
    return errors


def check_reference() -> list[str]:
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "gen_reference.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    return [] if result.returncode == 0 else [f"docs/reference.md: {result.stderr.strip()}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check links, runnable blocks and the reference.")
    parser.add_argument("--links", action="store_true", help="check links only")
    parser.add_argument("-k", dest="only", help="run only blocks of files whose name contains this")
    args = parser.parse_args(argv)
    files = doc_files()
    errors = check_links(files)
    if not args.links:
        errors += check_reference()
        errors += check_blocks(files, args.only)
    for error in errors:
        print(f"docs-check: {error}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    print(f"docs-check: {'FAILED, ' + str(len(errors)) + ' problem(s)' if errors else 'ok'}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
