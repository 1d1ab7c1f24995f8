"""Draw Adaptive Cards the way Teams does, in headless Chromium, and measure what a person sees.

The page loads Microsoft's own renderer (npm ``adaptivecards``) with the Microsoft Teams light
host config and card CSS that ship in npm ``adaptivecards-designer``, Markdown by npm
``markdown-it`` (both installed under
``tests/render/node_modules`` by ``npm ci``; ``.ci/run`` does it), renders every card into a box
of the given width, and writes what it measured into the page: each card's height, each
button's title and whether the renderer had to cut it (its text wider than its box), and
whether anything sticks out of the card sideways. Chromium (Debian's ``chromium``) runs twice
per width: ``--dump-dom`` to read the measurements, ``--screenshot`` for a picture of every
card, kept under ``build/cards/`` for a person to open.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
MODULES = HERE / "node_modules"
RENDERER = MODULES / "adaptivecards" / "dist" / "adaptivecards.min.js"
MARKDOWN = MODULES / "markdown-it" / "dist" / "markdown-it.min.js"
TEAMS_HOST_CONFIG = (
    MODULES / "adaptivecards-designer" / "lib" / "hostConfigs" / ("microsoft-teams-light.json")
)
TEAMS_CSS = MODULES / "adaptivecards-designer" / "dist" / "containers" / "teams-container-light.css"
ARTEFACTS = HERE.parent.parent / "build" / "cards"
_MARK = "PREFLIGHT-MEASURED:"


@dataclass(frozen=True)
class Button:
    """One rendered action button."""

    title: str
    cut: bool


@dataclass(frozen=True)
class Measured:
    """What one card looked like at one width."""

    name: str
    width: int
    height: float
    overflow: list[str]
    buttons: list[Button]


def chromium() -> str | None:
    """The Chromium binary, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing() -> str:
    """Why the renderer cannot run here (empty when it can)."""
    if chromium() is None:
        return "Debian's chromium is not installed (apt-get install -y chromium; .ci/run does)"
    if not (RENDERER.exists() and TEAMS_HOST_CONFIG.exists()):
        return "npm packages missing: run `npm ci --prefix tests/render` (.ci/run does)"
    return ""


def render(
    cards: dict[str, dict[str, Any]], *, width: int, screenshot: Path | None
) -> list[Measured]:
    """Render cards at ``width`` pixels in headless Chromium and measure them.

    Args:
        cards: Card JSON by name.
        width: The card's width in CSS pixels (375: a phone; 450: a thread pane).
        screenshot: Where to write a PNG of every card, one under the other (None: no picture).

    Returns:
        One measurement per card, in order.
    """
    page = ARTEFACTS / f"cards-{width}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(_page(cards, width=width), encoding="utf-8")
    dom = _chromium(page, "--dump-dom", width=width, height=2000)
    found = dom.rsplit(_MARK, 1)[1].split("</pre>", 1)[0]
    data = json.loads(found.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    if screenshot is not None:
        height = int(data["pageHeight"]) + 16
        _chromium(page, f"--screenshot={screenshot}", width=width + 32, height=height)
    return [
        Measured(
            name=item["name"],
            width=width,
            height=float(item["height"]),
            overflow=list(item["overflow"]),
            buttons=[Button(title=b["title"], cut=bool(b["cut"])) for b in item["buttons"]],
        )
        for item in data["cards"]
    ]


def _chromium(page: Path, *args: str, width: int, height: int) -> str:
    binary = chromium()
    assert binary is not None, missing()
    command = [
        binary,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--allow-file-access-from-files",
        "--no-first-run",
        "--force-device-scale-factor=1",
        f"--window-size={width},{height}",
        "--virtual-time-budget=5000",
        *args,
        page.as_uri(),
    ]
    env = {**os.environ, "HOME": str(page.parent)}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _page(cards: dict[str, dict[str, Any]], *, width: int) -> str:
    host_config = TEAMS_HOST_CONFIG.read_text(encoding="utf-8")
    named = json.dumps([{"name": name, "card": card} for name, card in cards.items()])
    return f"""<!doctype html>
<html><head><meta charset="utf-8">
<link rel="stylesheet" href="{TEAMS_CSS.as_uri()}">
<style>
  body {{ margin: 16px; background: #f5f5f5; font-family: 'Segoe UI', sans-serif; }}
  .name {{ font: 12px monospace; color: #444; margin: 12px 0 4px; }}
  .host {{ width: {width}px; background: white; border: 1px solid #e1dfdd; border-radius: 4px;
           box-sizing: border-box; overflow: visible; }}
</style>
<script src="{MARKDOWN.as_uri()}"></script>
<script src="{RENDERER.as_uri()}"></script>
</head><body>
<script>
// Teams renders a subset of Markdown (bold, italic, lists); the JS renderer needs a processor.
const markdown = window.markdownit();
AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {{
  result.outputHtml = markdown.render(text);
  result.didProcess = true;
}};
const hostConfig = new AdaptiveCards.HostConfig({host_config});
const cards = {named};
for (const item of cards) {{
  const name = document.createElement("div");
  name.className = "name";
  name.textContent = item.name + " @ {width}px";
  document.body.appendChild(name);
  const host = document.createElement("div");
  host.className = "host";
  host.id = "card-" + item.name;
  const card = new AdaptiveCards.AdaptiveCard();
  card.hostConfig = hostConfig;
  card.parse(item.card);
  host.appendChild(card.render());
  document.body.appendChild(host);
}}
function visible(e) {{
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0;
}}
const measured = cards.map(item => {{
  const host = document.getElementById("card-" + item.name);
  const edge = host.getBoundingClientRect();
  const overflow = [];
  if (host.scrollWidth > host.clientWidth + 1) overflow.push("card scrolls sideways");
  for (const e of host.querySelectorAll("*")) {{
    if (!visible(e)) continue;
    const r = e.getBoundingClientRect();
    if (r.right > edge.right + 1 || r.left < edge.left - 1) {{
      overflow.push(e.className + ": " + (e.textContent || "").slice(0, 60));
    }}
  }}
  const buttons = [...host.querySelectorAll("button")].filter(visible).map(b => ({{
    title: b.textContent,
    cut: [b, ...b.querySelectorAll("*")].some(e => e.scrollWidth > e.clientWidth + 1),
  }}));
  return {{name: item.name, height: edge.height, overflow: overflow.slice(0, 5), buttons}};
}});
const out = document.createElement("pre");
out.style.display = "none";
out.textContent = "{_MARK}" + JSON.stringify({{
  cards: measured, pageHeight: document.documentElement.scrollHeight
}});
document.body.appendChild(out);
</script>
</body></html>
"""
