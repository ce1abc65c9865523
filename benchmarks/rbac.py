"""Benchmark the cost of the permission check: list 1,000 VMs as a user who has permissions on 100 of them
(the filtered view) and as admin (unfiltered), over HTTP against a real engine process.

Run with ``.venv/bin/python benchmarks/rbac.py``. The script starts ``python -m engine_api serve`` on a fresh
SQLite data directory (as ``benchmarks/run.py`` does), adds 1,000 VMs, an internal user with UserRole on 100 of
them (one permission per VM), logs both in through the SSO endpoint and measures, for XML and JSON answers,
sequential keep-alive ``GET /vms`` (median and 95th percentile), and ``GET`` of one VM the user may see.

Target: the user's filtered list within 2x the admin's list (median). Writes ``benchmarks/rbac_results.json``.
Not a pytest module.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.run import (  # noqa: E402
    API,
    JSON,
    XML,
    Client,
    EngineFailure,
    Server,
    add_vms,
    get_token,
    percentile,
    sequential,
    setup_inventory,
)

RESULTS = Path(__file__).resolve().parent / "rbac_results.json"
USER = "bench-user"
USER_PASSWORD = "bench-user-secret"
TARGET_RATIO = 2.0


def user_token(port: int) -> str:
    import http.client

    form = urlencode({"grant_type": "password", "scope": "ovirt-app-api", "username": f"{USER}@internal",
                      "password": USER_PASSWORD}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/ovirt-engine/sso/oauth/token", form,
                     {"Content-Type": "application/x-www-form-urlencoded", "Accept": JSON})
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    if resp.status != 200:
        raise EngineFailure(f"SSO token of {USER}: HTTP {resp.status}: {data[:300].decode(errors='replace')}")
    return json.loads(data)["access_token"]


def measure(client: Client, path: str, accept: str, samples: int) -> dict:
    first, times, size = sequential(client, path, accept, samples, budget=60.0)
    return {"first_ms": round(first, 2), "median_ms": round(statistics.median(times), 2),
            "p95_ms": round(percentile(times, 95), 2), "samples": len(times), "response_bytes": size}


def run(count: int, permitted: int, samples: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="vdc-bench-rbac-") as tmp:
        server = Server(Path(tmp), [])
        try:
            server.wait_ready()
            admin = Client(server.port, get_token(server.port))
            cluster_id, _ = setup_inventory(admin)
            t0 = time.perf_counter()
            vm_ids, _ = add_vms(admin, count, cluster_id)
            added_s = time.perf_counter() - t0
            user = admin.json("POST", f"{API}/users",
                              f"<user><user_name>{USER}@internal-authz</user_name><domain><name>internal-authz"
                              f"</name></domain><password>{USER_PASSWORD}</password></user>".encode(),
                              expect=(201,))
            step = count // permitted
            mine = vm_ids[::step][:permitted]
            for vm_id in mine:
                admin.request("POST", f"{API}/vms/{vm_id}/permissions",
                              f'<permission><role><name>UserRole</name></role><user id="{user["id"]}"/>'
                              "</permission>".encode(), expect=(201,))
            client = Client(server.port, user_token(server.port))
            seen = client.json("GET", f"{API}/vms").get("vm", [])
            if sorted(v["id"] for v in seen) != sorted(mine):
                raise EngineFailure(f"the user lists {len(seen)} VMs, expected the {permitted} permitted ones")
            if len(admin.json("GET", f"{API}/vms").get("vm", [])) != count:
                raise EngineFailure(f"admin does not list {count} VMs")
            cases = {}
            for fmt, accept in (("xml", XML), ("json", JSON)):
                cases[f"admin_list_{fmt}"] = measure(admin, f"{API}/vms", accept, samples)
                cases[f"user_list_{fmt}"] = measure(client, f"{API}/vms", accept, samples)
                cases[f"admin_get_{fmt}"] = measure(admin, f"{API}/vms/{mine[0]}", accept, samples * 3)
                cases[f"user_get_{fmt}"] = measure(client, f"{API}/vms/{mine[0]}", accept, samples * 3)
            server.check_alive()
        finally:
            server.stop()
    ratios = {fmt: round(cases[f"user_list_{fmt}"]["median_ms"] / cases[f"admin_list_{fmt}"]["median_ms"], 2)
              for fmt in ("xml", "json")}
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "vms": count, "permitted": permitted,
            "setup_seconds_adding_vms": round(added_s, 1), "cases": cases, "user_over_admin_list": ratios,
            "target_ratio": TARGET_RATIO, "met": all(r <= TARGET_RATIO for r in ratios.values()),
            "machine": {"python": platform.python_version(), "platform": platform.platform(),
                        "cpus": __import__("os").cpu_count()}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vms", type=int, default=1000)
    p.add_argument("--permitted", type=int, default=100)
    p.add_argument("--samples", type=int, default=40)
    args = p.parse_args(argv)
    try:
        report = run(args.vms, args.permitted, args.samples)
    except EngineFailure as e:
        print(f"benchmark failed: {e}", file=sys.stderr)
        return 1
    print(f"{'case':<18}{'median ms':>12}{'p95 ms':>10}{'bytes':>10}")
    for name, c in report["cases"].items():
        print(f"{name:<18}{c['median_ms']:>12}{c['p95_ms']:>10}{c['response_bytes']:>10}")
    print(f"filtered / admin list (median): {report['user_over_admin_list']} (target <= {TARGET_RATIO}): "
          f"{'met' if report['met'] else 'NOT met'}")
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
