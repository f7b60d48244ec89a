"""The HTML report: self-contained, complete, and it opens in a real browser."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

import simlab
from simlab.cli import main
from simlab.errors import ScenarioError


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def res():
    return simlab.run("baseline-2025", draws=128, seed=5, progress=False)


@pytest.fixture(scope="module")
def report(res, tmp_path_factory):
    return res.to_html(tmp_path_factory.mktemp("report") / "baseline.html")


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_the_report_needs_no_network(report):
    page = _parse(report)
    tags = [t for t, _ in page.tags]
    assert "script" not in tags and "iframe" not in tags
    images = [a for t, a in page.tags if t == "img"]
    assert len(images) >= 3
    for attrs in images:
        src = str(attrs["src"])
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
        assert attrs["alt"]
    for _, attrs in page.tags:
        for key in ("src", "href"):
            value = str(attrs.get(key) or "")
            assert not re.match(r"(https?:)?//", value), value


def test_the_report_holds_claims_metrics_drivers_and_every_parameter(res, report):
    text = " ".join(_parse(report).text)
    sc = res.scenario
    assert sc.title in text
    claims = res.claims()
    for key, row in claims.iterrows():
        assert key in text
        assert f"{100 * row['probability']:.1f} %" in text
    assert "What drives each claim" in text and "rank correlation" in text
    assert "npv (USD " in text and "irr (% per year)" in text
    for path in sc.params:
        assert path in text, path
    assert sc.source_of("providers.openai.price_in") in text
    assert "OpenAI" in text


def test_report_command_from_saved_results_and_from_a_scenario(res, tmp_path, capsys):
    res.to_netcdf(tmp_path / "results.nc")
    assert main(["report", str(tmp_path / "results.nc"), "--out", str(tmp_path / "a.html")]) == 0
    assert "self-contained" in capsys.readouterr().out
    assert (tmp_path / "a.html").stat().st_size > 10_000
    code = main(
        [
            "report",
            "baseline-2025",
            "--draws",
            "16",
            "--no-drivers",
            "--out",
            str(tmp_path / "b.html"),
        ]
    )
    assert code == 0
    assert "What drives each claim" not in (tmp_path / "b.html").read_text(encoding="utf-8")
    assert main(["report", str(tmp_path / "results.nc"), "--out", str(tmp_path / "x.pdf")]) == 2
    assert "must be an .html file" in capsys.readouterr().err
    with pytest.raises(ScenarioError, match="top must be a positive integer"):
        res.to_html(tmp_path / "c.html", top=0)


# --------------------------------------------------------------- a real browser
_PROBE = """
<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  window.__errors.push(String(e.message || e));
}, true);
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var broken = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
  var out = document.createElement("pre");
  out.id = "probe";
  out.textContent = "PROBE images=" + imgs.length + " broken=" + broken.length +
                    " errors=" + window.__errors.length + " END";
  document.body.appendChild(out);
});
</script>
"""


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def test_the_report_opens_in_headless_chromium(report, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI") or os.environ.get("SIMLAB_CI"):
            pytest.fail("CI must have Chromium (.ci/run installs Debian's chromium package)")
        pytest.skip("no Chromium here (outside CI): apt-get install chromium to run this test")
    probe = tmp_path / "probe.html"
    probe.write_text(
        report.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"),
        encoding="utf-8",
    )
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r"PROBE images=(\d+) broken=(\d+) errors=(\d+) END", done.stdout)
    assert found, done.stderr[-2000:]
    images, broken, errors = (int(g) for g in found.groups())
    assert images >= 3 and broken == 0 and errors == 0
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console
