"""The schedule `budgetlens serve` deploys, checked without a server."""
from pathlib import Path

import pytest

pytestmark = pytest.mark.prefect  # loads Prefect (seconds) to build the deployments


def test_deployments_schedule_and_parameters(tmp_path):
    cfg = tmp_path / "budgetlens.toml"
    cfg.write_text('[crawl]\nsources = ["https://czj.example.gov.cn/yjsgk/"]\n'
                   'schedule = { cron = "30 3 * * 1-5", timezone = "Asia/Shanghai" }\n'
                   '[store]\npath = "data/budgetlens.duckdb"\n', encoding="utf-8")
    from budgetlens.pipelines.flows import build_deployments

    deps = {d.flow_name + "/" + d.name: d for d in build_deployments(cfg)}
    cycle = deps["budgetlens-cycle/scheduled"]
    sched = cycle.schedules[0].schedule
    assert sched.cron == "30 3 * * 1-5" and sched.timezone == "Asia/Shanghai"
    assert cycle.parameters == {"config_path": str(cfg.resolve())}
    assert cycle.entrypoint.endswith("flows.py:cycle_flow")
    assert not deps["budgetlens-crawl/on-demand"].schedules
    assert not deps["budgetlens-process/on-demand"].schedules


def test_prefect_yaml_matches_flows():
    import yaml

    root = Path(__file__).resolve().parents[1]
    spec = yaml.safe_load((root / "prefect.yaml").read_text(encoding="utf-8"))
    for d in spec["deployments"]:
        module, name = d["entrypoint"].split(":")
        assert (root / module).is_file()
        import budgetlens.pipelines.flows as flows
        assert hasattr(flows, name), name
    sched = [d for d in spec["deployments"] if d.get("schedules")][0]["schedules"][0]
    assert sched["cron"] and sched["timezone"] == "Asia/Shanghai"
