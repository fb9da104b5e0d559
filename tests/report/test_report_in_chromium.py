"""report.html as a person sees it: opened in headless Chromium, every image loads and nothing overflows sideways.

Chromium is Debian's ``chromium`` package (``apt-get install -y chromium``; ``.ci/run``
installs it). Without it the test skips on a developer's machine and FAILS under CI=true.
The page is checked by a copy of it with a script appended that writes its findings
into the DOM, which ``--dump-dom`` prints once the page has loaded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

LAPTOP = (1366, 768)
CHECK = """
<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const out = document.createElement("pre");
  out.id = "xmargin-check";
  out.textContent = JSON.stringify({
    images: images.length,
    broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute("src")),
    scrollWidth: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
    tables: document.querySelectorAll("table").length,
    tablesWiderThanTheirSection: Array.from(document.querySelectorAll("table"))
      .filter(t => t.scrollWidth > t.closest("section").clientWidth + 1).map(t => t.closest("section").querySelector("h2").textContent),
  });
  document.body.appendChild(out);
});
</script>
"""


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (apt-get install -y chromium); CI must run this test")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return found


def check_page(report: Path, profile: Path) -> dict:
    checked = report.with_name("report-check.html")
    checked.write_text(report.read_text(encoding="utf-8").replace("</body>", CHECK + "</body>"), encoding="utf-8")
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
        f"--window-size={LAPTOP[0]},{LAPTOP[1]}", "--virtual-time-budget=10000", "--dump-dom", checked.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    match = re.search(r'<pre id="xmargin-check">(.*?)</pre>', done.stdout, re.S)
    assert match, f"no check result in the DOM (exit {done.returncode}): {done.stderr[-2000:]}"
    return json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def assert_reads_well(result: dict, images: int) -> None:
    assert result["images"] >= images and result["broken"] == []
    assert result["scrollWidth"] <= result["viewport"], result
    assert result["tablesWiderThanTheirSection"] == [], result
    assert result["tables"] >= 2


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "sweep"
    sets = ["duration=420", "agents.traders.count=2", "agents.traders.arrival_window=30", "agents.keepers.count=1"]
    args = [a for s in sets for a in ("--set", s)]
    result = CliRunner().invoke(main, ["sweep", "demo", *args, "--param", "bridge.latency.mean=5,40", "--seeds", "1",
                                       "--workers", "2", "--keep-runs", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_a_run_report_loads_every_image_and_fits_a_laptop_screen(sweep_dir, tmp_path):
    run_dir = sweep_dir / "runs" / "p0000-seed1"
    page = (run_dir / "report.html").read_text()
    assert "<pre>{" not in page and "USD" in page or "$" in page
    assert_reads_well(check_page(run_dir / "report.html", tmp_path / "profile"), images=5)


def test_a_sweep_report_loads_every_image_and_fits_a_laptop_screen(sweep_dir, tmp_path):
    page = (sweep_dir / "report.html").read_text()
    assert "VaR95 bad debt" in page and "LaR95 liquidated" in page
    assert_reads_well(check_page(sweep_dir / "report.html", tmp_path / "profile"), images=1)


def test_xmargin_report_rebuilds_a_report_and_names_what_a_damaged_directory_lacks(sweep_dir, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(sweep_dir / "runs" / "p0001-seed1", run_dir)
    (run_dir / "report.html").unlink()
    (run_dir / "delays.png").unlink()
    result = CliRunner().invoke(main, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert (run_dir / "report.html").is_file() and (run_dir / "delays.png").is_file()
    (run_dir / "timeseries.json").unlink()
    (run_dir / "messages.jsonl").write_text('{"cut sho')
    damaged = CliRunner().invoke(main, ["report", str(run_dir)])
    assert damaged.exit_code == 2
    assert "timeseries.json is missing" in damaged.output and "messages.jsonl is not valid JSON" in damaged.output
    sweep_copy = tmp_path / "sweep"
    shutil.copytree(sweep_dir, sweep_copy)
    (sweep_copy / "report.html").unlink()
    assert CliRunner().invoke(main, ["report", str(sweep_copy)]).exit_code == 0
    assert (sweep_copy / "report.html").is_file()
    shutil.rmtree(sweep_copy / "results")
    broken = CliRunner().invoke(main, ["report", str(sweep_copy)])
    assert broken.exit_code == 2 and "results/ is missing" in broken.output
    neither = CliRunner().invoke(main, ["report", str(tmp_path / "profile-less")])
    assert neither.exit_code == 2 and "no such directory" in neither.output
