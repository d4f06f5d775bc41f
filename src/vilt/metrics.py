"""Prometheus metrics, served at ``/metrics``."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

LAUNCHES = Counter("vilt_launches_total", "Launch URLs handed out", ["role"])
LAUNCH_REFUSALS = Counter("vilt_launch_refusals_total", "Launches refused", ["reason"])
PROVIDER_CALLS = Counter("vilt_provider_calls_total", "Calls to providers", ["kind", "outcome"])
WORKER_ACTIONS = Counter("vilt_worker_actions_total", "Planner actions executed", ["action", "outcome"])
WORKER_PASS_SECONDS = Histogram("vilt_worker_pass_seconds", "Duration of one worker pass")
ATTENDANCE_RECORDS = Counter("vilt_attendance_records_total", "Attendance records imported", ["source"])
