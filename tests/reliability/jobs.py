"""A job for the worker-kill test: it books a Stripe event through the real job, after a pause the
test uses to kill the worker in the middle of it (a marker file says each start)."""

import time
from pathlib import Path

from fundpool.jobs import process_event


def book_after_a_pause(event_id: str, folder: str) -> str:
    folder = Path(folder)
    starts = len(list(folder.glob("start-*")))
    (folder / f"start-{starts + 1}").write_text(event_id)
    if not (folder / "go").exists():
        time.sleep(120)  # the test kills the worker here
    return process_event(event_id)
