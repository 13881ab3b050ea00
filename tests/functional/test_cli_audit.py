"""kiosk audit through the installed script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

KIOSK = str(Path(sys.executable).with_name("kiosk"))


def run(url, *args, stdin=None):
    return subprocess.run([KIOSK, "--db", url, "--json", *args], input=stdin, capture_output=True, text=True, timeout=60)


def test_audit_lists_posts_and_filters_by_action(sqlite_url):
    run(sqlite_url, "warehouse", "add", "MAIN")
    run(sqlite_url, "item", "add", "PHN", "--name", "Phone", "--serial")
    doc = json.dumps({"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "serials": ["A"]}]})
    posted = json.loads(run(sqlite_url, "doc", "post", "-", stdin=doc).stdout)["posted"][0]["number"]
    run(sqlite_url, "doc", "void", posted)
    listed = json.loads(run(sqlite_url, "audit").stdout)["results"]
    assert [(e["action"], e["subject"]) for e in listed] == [("void", posted), ("post", posted)]
    assert set(listed[0]) == {"at", "station", "operator", "action", "subject", "detail"}
    only = json.loads(run(sqlite_url, "audit", "--action", "post").stdout)["results"]
    assert [e["action"] for e in only] == ["post"]
    refused = run(sqlite_url, "audit", "--action", "dance")
    assert refused.returncode == 2 and json.loads(refused.stdout)["error"]["code"] == "bad_request"
