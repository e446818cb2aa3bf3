"""Routers, one per area, plus the Server-Sent Events formatting and the CSV download they share.

sse-starlette is not a dependency: an SSE frame is three lines of text, so it is
formatted here and sent through Starlette's `StreamingResponse`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Response

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(data: Any, event: str | None = None) -> str:
    """One SSE frame; `data` is JSON-encoded unless it is already a string."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    lines = [f"event: {event}"] if event else []
    lines += [f"data: {line}" for line in payload.split("\n")]
    return "\n".join(lines) + "\n\n"


#: The OpenAPI description of a `.csv` route's response.
CSV_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}, "description": "The same rows as CSV"}}


def csv_download(text: str, filename: str) -> Response:
    """CSV text as a UTF-8 download the browser saves as `filename`."""
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
