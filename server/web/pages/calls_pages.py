"""Dashboard and call history."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from server.web.deps import SignedIn
from server.web.render import redirect, render

router = APIRouter()


@router.get("/")
async def home() -> Response:
    return redirect("/console/dashboard")


@router.get("/dashboard")
async def dashboard(request: Request, console: SignedIn) -> Response:
    return render(request, "dashboard.html", {})
