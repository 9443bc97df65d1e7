"""Staff pages of the paper channel: upload a batch, follow it, see each page."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/staff/paper", tags=["paper"])
