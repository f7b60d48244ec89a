"""The documentation site as built: links for cross-references, maths typeset offline."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RAW_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|data|attr|obj|exc|const):(?:<code>|`)")

pytest.importorskip("mkdocs", reason="the docs extra is not installed")
pytest.importorskip("mkdocstrings", reason="the docs extra is not installed")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_no_raw_sphinx_role_anywhere_in_the_site(site):
    pages = list(site.rglob("*.html"))
    assert len(pages) > 5
    raw = {
        str(page.relative_to(site)): RAW_ROLE.findall(page.read_text(encoding="utf-8"))
        for page in pages
    }
    assert not {k: v for k, v in raw.items() if v}


def test_api_cross_references_are_links(site):
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert 'href="#simlab.list_scenarios"><code>list_scenarios</code></a>' in api
    assert 'href="#simlab.Results.summary"' in api


def test_the_maths_renderer_is_bundled_not_fetched(site):
    model = (site / "model" / "index.html").read_text(encoding="utf-8")
    assert 'class="arithmatex"' in model
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for url in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', text):
            assert not re.match(r"(https?:)?//", url), f"{page}: fetches {url}"
    assert (site / "assets" / "katex" / "katex.min.js").is_file()
    assert list((site / "assets" / "katex" / "fonts").glob("*.woff2"))


def test_the_maths_is_typeset_in_a_browser(site):
    browser = next(
        (
            shutil.which(n)
            for n in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(n)
        ),
        None,
    )
    if browser is None:
        if os.environ.get("CI") or os.environ.get("SIMLAB_CI"):
            pytest.fail("CI must have Chromium (.ci/run installs Debian's chromium package)")
        pytest.skip("no Chromium here (outside CI): apt-get install chromium to run this test")
    page = site / "model" / "index.html"
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    source = page.read_text(encoding="utf-8").count('class="arithmatex"')
    assert source > 0
    assert done.stdout.count('class="katex"') >= source  # each formula typeset offline
