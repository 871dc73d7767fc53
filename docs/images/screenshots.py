"""Make the screenshots in docs/github.md from a real run's gates.json and terminal capture.

    python docs/images/screenshots.py REPORTS/gates.json TERMINAL.ansi

The comment is rendered as publish renders it (with example run links), turned into HTML by
markdown-it-py and photographed by headless Chromium; the terminal capture (`tmux capture-pane
-e`) is turned into HTML by rich and photographed the same way. Needs `chromium` on PATH.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from pathlib import Path

from markdown_it import MarkdownIt
from rich.console import Console
from rich.text import Text

from gates.reporters.json_report import load_report
from gates.reporters.markdown import RunLinks, render_markdown

HERE = Path(__file__).resolve().parent
REPO = "https://github.com/octo/shop"
STYLE = """
body { font: 14px/1.5 "DejaVu Sans", "Noto Color Emoji"; color: #1f2328; margin: 0;
       padding: 16px 24px; width: 880px; }
code, pre { font: 12px "DejaVu Sans Mono", monospace; background: #eff1f3; border-radius: 6px; }
code { padding: .2em .4em; } pre { padding: 12px; white-space: pre-wrap; }
pre code { padding: 0; background: none; }
a { color: #0969da; text-decoration: none; } h2 { border-bottom: 1px solid #d1d9e0; }
table { border-collapse: collapse; } td, th { border: 1px solid #d1d9e0; padding: 4px 10px; }
ul { padding-left: 2em; margin: 4px 0; } details { margin: 6px 0; } sub { color: #59636e; }
.box { border: 1px solid #d1d9e0; border-radius: 6px; padding: 8px 16px; }
"""


def comment_html(report_path: Path) -> str:
    report = load_report(report_path.read_text(encoding="utf-8"), str(report_path))
    links = RunLinks(f"{REPO}/actions/runs/4242", f"{REPO}/runs/9191")
    markdown = render_markdown(report, link_base=f"{REPO}/blob/{report.diff.head}/", links=links)
    body = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)
    page = f"<head><style>{STYLE}</style></head><body><div class=box>{body}</div></body>"
    return f"<html>{page}</html>"


def terminal_html(capture: Path) -> str:
    console = Console(record=True, width=150, file=io.StringIO(), force_terminal=True)
    console.print(Text.from_ansi(capture.read_text(encoding="utf-8").rstrip()), soft_wrap=True)
    style = "<style>pre { font: 12px/1.35 'DejaVu Sans Mono', monospace; }</style>"
    return console.export_html(inline_styles=True).replace("</head>", style + "</head>")


def screenshot(html: str, target: Path, width: int, height: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        page = Path(scratch) / "page.html"
        page.write_text(html, encoding="utf-8")
        subprocess.run(
            [
                "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                f"--screenshot={target}", f"--window-size={width},{height}", page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )  # fmt: skip


def main() -> None:
    report, capture = Path(sys.argv[1]), Path(sys.argv[2])
    screenshot(comment_html(report), HERE / "pr-comment.png", 930, int(sys.argv[3]))
    screenshot(terminal_html(capture), HERE / "terminal.png", 1640, int(sys.argv[4]))


if __name__ == "__main__":
    main()
