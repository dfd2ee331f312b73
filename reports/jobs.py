"""The documents' background jobs (core/jobs.py runs them)."""

from __future__ import annotations

from .annual import run_job, run_queued_jobs


def generate_annual_report(job_id: int) -> str:
    job = run_job(job_id)
    return f"annual report {job.year}: {job.status}"


def run_waiting_documents() -> str:
    return f"{run_queued_jobs()} document(s) generated"
