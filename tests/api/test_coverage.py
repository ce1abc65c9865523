"""A bounded walk of ovirtsdk4's service tree against a served engine (:mod:`tests.coverage`): no (path,
operation) pair answers 5xx or a 4xx without a fault, and every listed entity reads back at its own href."""

from __future__ import annotations

from tests.coverage import operations, run


def test_the_walk_reads_operations_as_the_sdk_sends_them() -> None:
    import ovirtsdk4.services as services

    ops = {op.name: op for op in operations(services.VmService)}
    assert {"get", "update", "remove", "start", "cancelmigration"} <= set(ops)
    assert ops["update"].type == "vm"
    assert {op.name: op.type for op in operations(services.AffinityLabelsService)} == {
        "add": "affinity_label", "list": None}


def test_bounded_walk_has_no_5xx(live_engine) -> None:
    report = run(live_engine.url, live_engine.username, live_engine.password, max_depth=3)
    counts = report.counts()
    bad = [(p.operation, p.path, p.status, p.detail) for p in report.pairs if p.outcome in ("5xx", "unclear")]
    assert not bad, bad
    assert not report.inconsistent, report.inconsistent
    assert counts["works"] > 80 and counts["refused"] > 60 and counts["404"] > 0, report.summary()
    served = {(p.path, p.operation) for p in report.pairs if p.outcome == "works"}
    assert ("/tags", "list") in served and ("/vms/{id}/tags", "list") in served
