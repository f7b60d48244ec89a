"""Build the gallery: run the examples, copy their figures to docs/img/, write gallery.md.

Usage (from the repository's top folder)::

    python docs/gen_gallery.py              # run every example with 1000 draws
    python docs/gen_gallery.py --draws 200  # quicker, rougher figures
    python docs/gen_gallery.py --check      # gallery.md lists exactly the examples' figures

Each script in ``examples/`` states its question in its docstring and the PNG files it
writes in a module-level ``FIGURES`` tuple; both are read with :mod:`ast`, without running
the script. A run happens in a temporary folder with ``SIMLAB_EXAMPLE_DRAWS`` set, and must
write exactly its ``FIGURES``. ``--check`` runs nothing: it compares gallery.md's text,
sections and image links, and the files in docs/img/, with the examples (not the pixels).
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
IMG = REPO / "docs" / "img"
GALLERY = REPO / "docs" / "gallery.md"
_LINK = re.compile(r"!\[[^\]]*\]\(img/([^)]+\.png)\)")
_SECTION = re.compile(r"^## .*\(`examples/([^`]+\.py)`\)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    """One example script: its file, title, description and the figures it writes."""

    path: Path
    title: str
    text: str
    figures: tuple[str, ...]


def read_example(path: Path) -> Example:
    """Read an example's docstring and FIGURES without running it."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    doc = ast.get_docstring(tree)
    if not doc:
        raise SystemExit(f"{path}: no docstring (its first line is the gallery title)")
    figures: tuple[str, ...] | None = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "FIGURES" for t in node.targets
        ):
            figures = tuple(ast.literal_eval(node.value))
    if not figures:
        raise SystemExit(f"{path}: no FIGURES = (...) tuple of the PNG files it writes")
    title, _, text = doc.partition("\n")
    return Example(path, title.strip().rstrip("."), text.strip(), figures)


def examples() -> list[Example]:
    """Every example script, in file-name order."""
    return [read_example(p) for p in sorted(EXAMPLES.glob("[0-9][0-9]_*.py"))]


def render(items: list[Example], draws: int) -> str:
    """The text of gallery.md."""
    lines = [
        "# Gallery",
        "",
        "Each figure below is drawn by a script in `examples/`, one question per script.",
        "They use only the public API (`import simlab`) and write their PNG files into the",
        "current folder; run one with `python examples/01_quickstart.py`. The number of",
        "draws comes from the environment variable `SIMLAB_EXAMPLE_DRAWS` (a few thousand",
        f"by default); the figures here were drawn with {draws} draws, so their bands are",
        "rougher than a full run's. Regenerate them with `python docs/gen_gallery.py`",
        "(`--check` verifies that this page lists exactly the examples' figures).",
        "",
    ]
    for item in items:
        lines += [f"## {item.title} (`examples/{item.path.name}`)", ""]
        lines += [item.text, ""]
        for name in item.figures:
            lines += [f"![{item.title} ({name})](img/{name})", ""]
    return "\n".join(lines).rstrip() + "\n"


def run_example(item: Example, draws: int) -> float:
    """Run one example in a temporary folder; copy its figures into docs/img/."""
    env = {**os.environ, "SIMLAB_EXAMPLE_DRAWS": str(draws), "MPLBACKEND": "Agg"}
    with tempfile.TemporaryDirectory(prefix="simlab-gallery-") as tmp:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(item.path)], cwd=tmp, env=env, capture_output=True, text=True
        )
        took = time.perf_counter() - started
        if done.returncode != 0:
            sys.stderr.write(done.stdout[-2000:] + done.stderr[-4000:])
            raise SystemExit(f"{item.path.name}: failed with exit code {done.returncode}")
        written = sorted(p.name for p in Path(tmp).glob("*.png"))
        if written != sorted(item.figures):
            raise SystemExit(
                f"{item.path.name}: wrote {written}, but its FIGURES are {list(item.figures)}"
            )
        for name in item.figures:
            shutil.copyfile(Path(tmp) / name, IMG / name)
    return took


def check(items: list[Example]) -> list[str]:
    """Problems with gallery.md and docs/img/ against the examples (empty when in order)."""
    problems = []
    if not GALLERY.is_file():
        return [f"{GALLERY} is missing; run python docs/gen_gallery.py"]
    text = GALLERY.read_text(encoding="utf-8")
    sections = _SECTION.findall(text)
    expected_sections = [item.path.name for item in items]
    if sections != expected_sections:
        problems.append(f"gallery.md sections {sections} are not the examples {expected_sections}")
    parts = _SECTION.split(text)[1:]  # name, body, name, body, ...
    listed = dict(zip(parts[0::2], parts[1::2], strict=True))
    for item in items:
        links = _LINK.findall(listed.get(item.path.name, ""))
        if links != list(item.figures):
            problems.append(
                f"gallery.md shows {links} for {item.path.name}, which writes {list(item.figures)}"
            )
    drawn = re.search(r"drawn with (\d+) draws", text)
    if not problems and (drawn is None or text != render(items, int(drawn.group(1)))):
        problems.append("gallery.md is stale (an example's docstring changed)")
    wanted = {name for item in items for name in item.figures}
    present = {p.name for p in IMG.glob("*.png")} if IMG.is_dir() else set()
    for name in sorted(wanted - present):
        problems.append(f"docs/img/{name} is missing")
    for name in sorted(present - wanted):
        problems.append(f"docs/img/{name} belongs to no example")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Build or check the gallery; exit 0 when done or in order, 1 otherwise."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--draws", type=int, default=1000, help="SIMLAB_EXAMPLE_DRAWS (1000)")
    parser.add_argument("--check", action="store_true", help="check, do not run anything")
    args = parser.parse_args(argv)
    items = examples()
    if args.check:
        problems = check(items)
        for problem in problems:
            print(f"gen_gallery: {problem}", file=sys.stderr)
        if not problems:
            print(
                f"gallery.md lists the {sum(len(i.figures) for i in items)} figures of "
                f"{len(items)} examples"
            )
        return 1 if problems else 0
    IMG.mkdir(parents=True, exist_ok=True)
    for stale in IMG.glob("*.png"):
        stale.unlink()
    for item in items:
        took = run_example(item, args.draws)
        print(f"{item.path.name}: {', '.join(item.figures)} ({took:.1f} s)")
    GALLERY.write_text(render(items, args.draws), encoding="utf-8")
    print(f"wrote {GALLERY.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
