"""``osokit load run|replay`` and plain ``locust -f load/locustfile.py``: real processes over loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from simulator.server import start_in_thread
from simulator.service import Config

ROOT = Path(__file__).resolve().parents[2]
LATENCY = ROOT / "simulator" / "faults" / "latency.toml"


def osokit(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "osokit.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )


def test_a_run_writes_its_reports_and_passes_its_slo(tmp_path):
    done = osokit(
        "load",
        "run",
        "--start-simulator",
        "--cohort",
        "500",
        "--users",
        "6",
        "--duration",
        "8s",
        "--slo",
        "errors=0,conformance=0,p99<2s",
        "--out",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    for name in ("locust.html", "locust_stats.csv", "summary.json", "slo.json", "locust.log"):
        assert (tmp_path / name).is_file(), name
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["soap"]["requests"] > 50 and summary["conformance_failures"] == 0
    assert summary["flows"]["full transfer"]["requests"] > 10
    assert "SLO: PASS" in done.stdout and "conformance failures 0" in done.stdout
    assert "httpx" not in (tmp_path / "locust.log").read_text()  # no per-request INFO lines among locust's own


def test_an_slo_breach_under_the_latency_profile_exits_1(tmp_path):
    done = osokit(
        "load",
        "run",
        "--start-simulator",
        "--cohort",
        "300",
        "--users",
        "6",
        "--duration",
        "8s",
        "--faults",
        str(LATENCY),
        "--slo",
        "p99<100ms,errors=0",
        "--out",
        str(tmp_path),
    )
    assert done.returncode == 1, done.stdout + done.stderr[-3000:]
    verdicts = {v["objective"]: v for v in json.loads((tmp_path / "slo.json").read_text())}
    assert verdicts["p99<100ms"]["holds"] is False and verdicts["p99<100ms"]["measured"] > 100
    assert verdicts["errors=0"]["holds"] is True
    assert "BREACHED" in done.stdout and "SLO: FAIL" in done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_answers_that_break_the_protocol_count_as_conformance_failures(tmp_path):
    port = free_port()
    fake = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("fake_broker.py")), str(port)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        done = osokit(
            "load",
            "run",
            "--target",
            f"http://127.0.0.1:{port}",
            "--user-class",
            "DoelLas",
            "--users",
            "2",
            "--duration",
            "4s",
            "--slo",
            "conformance=0",
            "--out",
            str(tmp_path),
        )
    finally:
        fake.terminate()
        fake.wait()
    assert done.returncode == 1, done.stdout + done.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["conformance_failures"] > 0
    assert any("non-conformant answer" in f and "2018/dossier" in f for f in summary["failures"])


def test_the_replay_sends_every_pupil_once_and_loses_none(tmp_path):
    done = osokit("load", "replay", "--cohort", "300", "--shards", "2", "--users", "8", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    figures = json.loads((tmp_path / "replay.json").read_text())
    assert figures["sent"] == figures["acknowledged"] == figures["stored"] == 300 and figures["lost"] == 0
    assert figures["simulator"]["imported_pupils"] == 300
    # each shard imported its own half, once: no pupil went to both, none to neither
    assert [s["imported_pupils"] for s in figures["per_shard"]] == [150, 150]
    assert [s["transfer_results"] for s in figures["per_shard"]] == [{"OverdrachtGeslaagd": 150}] * 2
    assert figures["simulator_cpu_ms_per_transfer"] > 0
    assert "lost 0" in done.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--target", "http://192.0.2.1:8700"], "only loopback"),
        (["--target", "http://127.0.0.1:9"], "no simulator answers there"),
        (["--start-simulator", "--slo", "p99 < soon"], "cannot read"),
        (["--start-simulator", "--duration", "ten minutes"], "--duration"),
    ],
)
def test_runs_that_cannot_start_exit_2_and_say_why(tmp_path, args, says):
    done = osokit("load", "run", "--out", str(tmp_path), *args)
    assert done.returncode == 2 and says in done.stderr, done.stderr


def test_the_locustfile_runs_under_plain_locust(tmp_path):
    running = start_in_thread(
        Config(data_dir=tmp_path / "sim", cohort={"povo": 200, "popo": 0, "vovo": 0, "binnenbrin": 0})
    )
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(ROOT / "load" / "locustfile.py"),
                "--host",
                running.url,
                "--headless",
                "-u",
                "4",
                "-r",
                "4",
                "-t",
                "4s",
                "--only-summary",
                "--oso-summary",
                str(tmp_path / "s.json"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=ROOT,
        )
    finally:
        running.stop()
    assert done.returncode == 0, done.stderr[-3000:]
    assert "HTTP Request:" not in done.stderr  # locust's console: its own lines, not httpx's
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["soap"]["requests"] > 0 and summary["soap"]["failures"] == 0


def test_a_run_starts_its_simulator_on_the_port_given_and_refuses_a_port_without_one(tmp_path):
    from tests.load.test_capacity import free_ports

    (port,) = free_ports(1)
    done = osokit("load", "run", "--start-simulator", "--port", str(port), "--cohort", "200", "--users", "2",
                  "--duration", "3s", "--out", str(tmp_path))  # fmt: skip
    assert done.returncode == 0 and f"against http://127.0.0.1:{port}" in done.stderr, done.stderr[-2000:]
    refused = osokit("load", "run", "--target", f"http://127.0.0.1:{port}", "--port", str(port))
    assert refused.returncode == 2 and f"--port {port}: only with --start-simulator" in refused.stderr
