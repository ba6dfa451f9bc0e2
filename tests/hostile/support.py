"""What every hostile case asserts: a refusal that is one clear line and no traceback."""

from __future__ import annotations

import httpx


def assert_json_refusal(response: httpx.Response, status: int | set[int]) -> str:
    """The response has the expected status and a one-line JSON ``{"error": ...}``; returns it."""
    allowed = {status} if isinstance(status, int) else status
    assert response.status_code in allowed, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json"), response.text[:300]
    message = response.json()["error"]
    assert isinstance(message, str) and message.strip()
    assert "\n" not in message and "Traceback" not in message
    return message


def assert_one_line(output: str) -> str:
    """CLI output of a refusal: one line, no traceback."""
    text = output.strip()
    assert "Traceback" not in text, text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]
