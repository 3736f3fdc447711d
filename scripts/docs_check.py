"""The browser check of the built documentation (run by `scripts/docs-check`).

Each page of the site is opened in headless Chromium at a given window width (1280 px by
default), with every tab and every collapsed block shown; a script in the page measures each
code block and each table of the content, and the check fails when one is wider than the box
it is shown in (a reader would have to scroll it sideways, or would not see its end).

Usage: `python scripts/docs_check.py SITE_DIR [--width 1280] [--chromium PATH]`.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

MARKER = "docs-check-result"

#: Run in each page once it has loaded: show what is hidden, then measure.
PROBE = """
<script>
window.addEventListener("load", () => {
  for (const block of document.querySelectorAll(".tabbed-content > .tabbed-block")) {
    block.style.display = "block";
  }
  for (const details of document.querySelectorAll("details")) details.open = true;
  // Reading a width lays the page out at once: no frame has to be waited for.
  const found = [];
  // A table scrolls in the theme's wrapper (or in itself, without one).
  const boxes = document.querySelectorAll(
    ".md-content pre > code, .md-content table, .md-content .md-typeset__scrollwrap"
  );
  for (const el of boxes) {
    if (el.scrollWidth > el.clientWidth + 1) {
      found.push({
        kind: el.matches("pre > code") ? "code block" : "table",
        start: el.textContent.trim().split("\\n")[0].slice(0, 60),
        content: el.scrollWidth,
        shown: el.clientWidth,
      });
    }
  }
  const out = document.createElement("script");
  out.type = "application/json";
  out.id = "MARKER";
  out.textContent = JSON.stringify(found);
  document.body.appendChild(out);
});
</script>
""".replace("MARKER", MARKER)

RESULT = re.compile(rf"id=\"{MARKER}\">(.*?)</script>", re.S)


@dataclass(frozen=True)
class Overflow:
    page: str
    kind: str
    start: str
    content: int
    shown: int

    def __str__(self) -> str:
        return (
            f"{self.page}: {self.kind} {self.content} px wide in {self.shown} px "
            f"(starts {self.start!r})"
        )


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


def probe(page: Path, site: Path, chromium: str, width: int) -> list[Overflow]:
    """The overflowing boxes of one page (its file is rewritten with the probe in it)."""
    html = page.read_text(encoding="utf-8")
    if MARKER not in html:
        page.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    argv = [
        chromium,
        "--headless",
        "--no-sandbox",  # as root in a container; the pages are our own files
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={width},900",
        # Virtual time runs only while the page is idle: a long budget costs no real time.
        "--virtual-time-budget=30000",
        "--dump-dom",
        page.as_uri(),
    ]
    name = str(page.relative_to(site))
    tries = 5
    for attempt in range(1, tries + 1):  # a browser can fail on a busy machine: try again
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            why = "no answer in 120 s"
        else:
            match = RESULT.search(done.stdout)
            if match is not None:
                break
            why = f"exit code {done.returncode}, {len(done.stdout)} characters of page"
        print(f"docs-check: {name}: try {attempt} of {tries} failed ({why})", file=sys.stderr)
        time.sleep(attempt)
    else:
        raise RuntimeError(f"{name}: the page did not report in {tries} tries ({why})")
    return [Overflow(name, **found) for found in json.loads(match.group(1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the built site (mkdocs build --site-dir)")
    parser.add_argument("--width", type=int, default=1280, help="window width in px")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args(argv)
    site: Path = args.site.resolve()
    found_pages = pages(site)
    if not found_pages:
        print(f"docs-check: no pages in {site}", file=sys.stderr)
        return 1
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda p: probe(p, site, args.chromium, args.width), found_pages)
        overflows = [o for page_overflows in results for o in page_overflows]
    for overflow in overflows:
        print(overflow)
    print(
        f"docs-check: {len(found_pages)} pages at {args.width} px, "
        f"{len(overflows)} code block(s) or table(s) wider than their column"
    )
    return 1 if overflows else 0


if __name__ == "__main__":
    sys.exit(main())
