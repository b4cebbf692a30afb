#!/usr/bin/env python
"""Full-page screenshots of a running Concilia server, at desktop (1280 px) and phone (390 px) widths.

Uses Playwright with Debian's Chromium (/usr/bin/chromium); it never downloads a browser.

    python scripts/screenshots.py --base http://127.0.0.1:8000 --out test-artifacts/screens \\
        --anon / /cuenta/login/ /cuenta/signup/ \\
        --login ana@example.com secret123 / /mis-datos/ \\
        --login officer@example.com secret123 /empresas/

Each --anon group is visited without logging in; each --login EMAIL PASSWORD group logs in through
allauth's login form first (a fresh browser context per group). Pages are saved as
OUT/<who>/<path>--desktop.png and --phone.png, where <who> is "anon" or the e-mail's local part.
--lang es-ar|en sets the language cookie; --only desktop|phone limits the widths.
Exit status 1 if any page could not be loaded (the others are still saved).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}
LOGIN_PATH = "/cuenta/login/"
LANGUAGE_COOKIE = "concilia_language"


@dataclass
class Group:
    email: str | None = None
    password: str | None = None
    paths: list[str] = field(default_factory=list)

    @property
    def who(self) -> str:
        if not self.email:
            return "anon"
        return re.sub(r"[^A-Za-z0-9_.-]", "_", self.email.split("@")[0])


def parse_groups(argv: list[str]) -> tuple[argparse.Namespace, list[Group]]:
    """argparse handles the plain options; the repeatable --anon / --login groups are split by hand."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="server root URL")
    parser.add_argument("--out", default="test-artifacts/screens", help="output folder")
    parser.add_argument("--lang", default=None, help="language cookie value (es-ar or en)")
    parser.add_argument("--only", choices=sorted(VIEWPORTS), default=None, help="one width only")
    parser.add_argument("--login-path", default=LOGIN_PATH, help="allauth login page path")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per page load")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="--anon PATH… and/or --login EMAIL PASSWORD PATH…")
    plain, groups, current = [], [], None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--anon":
            current = Group()
            groups.append(current)
        elif arg == "--login":
            if i + 2 >= len(argv):
                parser.error("--login needs EMAIL PASSWORD and at least one PATH")
            current = Group(email=argv[i + 1], password=argv[i + 2])
            groups.append(current)
            i += 2
        elif current is not None and not arg.startswith("--"):
            current.paths.append(arg)
        else:
            plain.append(arg)
            if arg.startswith("--") and "=" not in arg and i + 1 < len(argv) and not argv[i + 1].startswith("--"):
                plain.append(argv[i + 1])
                i += 1
            current = None
        i += 1
    args = parser.parse_args(plain)
    if args.rest:
        parser.error(f"unexpected arguments: {' '.join(args.rest)}")
    for group in groups:
        if not group.paths:
            parser.error(f"no PATH given for {'--login ' + group.email if group.email else '--anon'}")
    if not groups:
        parser.error("give at least one --anon PATH… or --login EMAIL PASSWORD PATH… group")
    return args, groups


def slug(path: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")
    return cleaned or "home"


def log_in(page, args: argparse.Namespace, group: Group) -> None:  # type: ignore[no-untyped-def]
    page.goto(urljoin(args.base, args.login_path), wait_until="networkidle")
    page.fill("input[name=login]", group.email or "")
    page.fill("input[name=password]", group.password or "")
    with page.expect_navigation(wait_until="networkidle"):
        page.locator("form:has(input[name=password]) [type=submit]").first.click()
    if page.url.rstrip("/").endswith(args.login_path.rstrip("/")):
        raise RuntimeError(f"login failed for {group.email} (still on the login page)")


def main(argv: list[str]) -> int:
    args, groups = parse_groups(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium (never 'playwright install').", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    failures = 0
    widths = [args.only] if args.only else list(VIEWPORTS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for group in groups:
                for width in widths:
                    context = browser.new_context(**VIEWPORTS[width], locale="es-AR")
                    context.set_default_timeout(args.timeout * 1000)
                    if args.lang:
                        context.add_cookies([{"name": LANGUAGE_COOKIE, "value": args.lang, "url": args.base}])
                    page = context.new_page()
                    try:
                        if group.email:
                            log_in(page, args, group)
                        for path in group.paths:
                            target = out / group.who / f"{slug(path)}--{width}.png"
                            target.parent.mkdir(parents=True, exist_ok=True)
                            try:
                                response = page.goto(urljoin(args.base, path), wait_until="networkidle")
                                page.evaluate("document.fonts.ready")
                                page.screenshot(path=str(target), full_page=True)
                                status = response.status if response else "?"
                                print(f"{status} {group.who} {width:7} {path} -> {target}")
                                if response is not None and response.status >= 500:
                                    failures += 1
                            except Exception as exc:
                                failures += 1
                                print(f"FAILED {group.who} {width} {path}: {exc}", file=sys.stderr)
                    except Exception as exc:
                        failures += 1
                        print(f"FAILED {group.who} {width}: {exc}", file=sys.stderr)
                    finally:
                        context.close()
        finally:
            browser.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
