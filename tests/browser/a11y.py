"""Accessibility checks for the browser tests: axe-core (npm, copied into static/vendor/axe/ by
scripts/build_assets.sh) injected into the page under test.

    assert_accessible(page, "journey-01-signup")

runs every axe rule on the whole document and fails on any violation whose impact is serious or
critical, listing each rule id with the elements (CSS targets) it flagged. Minor and moderate findings
are not failures; they are written, with the rest, to test-artifacts/axe/<name>.json for reading.
"""

import json
from pathlib import Path
from urllib.parse import urljoin

AXE_JS = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe" / "axe.min.js"
REPORTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "axe"
FAILING_IMPACTS = ("serious", "critical")

# axe's own result types we do not need back from the page (they are large): only violations count here.
_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), impact: n.impact, summary: n.failureSummary})),
  }));
}"""


def axe_violations(page) -> list[dict]:
    """Every axe violation on the page as it is now (any impact)."""
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run `npm ci && bash scripts/build_assets.sh`")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        if page.url.startswith("http"):
            # By URL from the site's own static files: the CSP refuses an inline copy.
            page.add_script_tag(url=urljoin(page.url, "/static/vendor/axe/axe.min.js"))
        else:
            page.add_script_tag(path=str(AXE_JS))  # a page set by hand (about:blank): no server, no CSP
    return page.evaluate(_RUN)


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"]:
            summary = " ".join((node.get("summary") or "").split())
            lines.append(f"    {node['target']}  — {summary[:240]}")
    return "\n".join(lines)


def assert_accessible(page, name: str) -> list[dict]:
    """Fail on serious or critical axe violations; write the full report to test-artifacts/axe/."""
    violations = axe_violations(page)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{name}.json").write_text(
        json.dumps({"url": page.url, "violations": violations}, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    assert not failing, f"axe found serious/critical problems on {page.url} ({name}):\n" + format_violations(failing)
    return violations
