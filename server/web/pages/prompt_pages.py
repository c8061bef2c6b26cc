"""Prompts: upload a WAV (checked, stored as 48 kHz mono), speak one from text when espeak-ng is installed,
play in the browser (`preload="none"`), delete when nothing plays it (`server.domain.prompts`)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import FileResponse, Response

from server.callcenter.announce import overridable
from server.domain import prompts
from server.domain.errors import Conflict, InvalidInput, NotFound
from server.web.deps import Admin, ContextDep, FormDep, SessionDep, SignedIn
from server.web.render import field_errors, language, redirect, render

router = APIRouter()


def _dir(request: Request) -> Any:
    folder = request.app.state.prompts_dir
    if folder is None:
        raise NotFound("prompts")
    return folder


def _page(
    request: Request,
    console: Any,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    own = prompts.list_prompts(_dir(request), console.company_id)
    return render(
        request,
        "prompts.html",
        {
            "prompts": own,
            "builtin": overridable(language(request)),
            "recorded": {p.name for p in own},
            "tts": prompts.tts_available(),
            "errors": errors or {},
            "values": values or {},
        },
        status=status,
    )


@router.get("/prompts")
async def prompt_list(request: Request, console: SignedIn) -> Response:
    return _page(request, console)


@router.post("/prompts")
async def prompt_upload(
    request: Request, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    upload = form.get("file")
    name = str(form.get("name", ""))
    try:
        data = await upload.read() if isinstance(upload, UploadFile) else b""
        if not data:
            raise InvalidInput("invalid_wav", "Choose a WAV file.", fields={"file": "Choose a WAV file."})
        saved = await prompts.save_prompt(
            session,
            ctx=ctx,
            prompts_dir=_dir(request),
            company_id=console.company_id,
            name=name,
            data=data,
            actor_id=console.user.id,
        )
    except InvalidInput as exc:
        await session.rollback()
        return _page(request, console, errors=_errors(request, exc), values={"name": name}, status=422)
    return redirect("/console/prompts", flash=f"Prompt saved: %s|{saved.name}")


@router.post("/prompts/tts")
async def prompt_from_text(
    request: Request, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    name = str(form.get("tts_name", ""))
    text = str(form.get("text", ""))
    lang = str(form.get("voice", "") or language(request))
    try:
        prompts.check_name(name)
        data = await asyncio.to_thread(prompts.speak, text, lang)  # espeak-ng must not hold up the loop
        saved = await prompts.save_prompt(
            session,
            ctx=ctx,
            prompts_dir=_dir(request),
            company_id=console.company_id,
            name=name,
            data=data,
            actor_id=console.user.id,
            source="text",
        )
    except InvalidInput as exc:
        await session.rollback()
        errors = {("tts_name" if k == "name" else k): v for k, v in _errors(request, exc).items()}
        return _page(request, console, errors=errors, values={"tts_name": name, "text": text}, status=422)
    return redirect("/console/prompts", flash=f"Prompt saved: %s|{saved.name}")


def _errors(request: Request, exc: InvalidInput) -> dict[str, str]:
    # the domain's field texts are whole sentences (message ids): show them as they are, translated
    if exc.fields:
        return {name: text for name, text in exc.fields.items()}
    return field_errors(request, exc)


@router.get("/prompts/{name}.wav")
async def prompt_audio(request: Request, name: str, console: SignedIn) -> Response:
    path = prompts.prompt_path(_dir(request), console.company_id, name)
    return FileResponse(path, media_type="audio/wav", filename=path.name)


@router.get("/prompts/{name}/delete")
async def prompt_delete_confirm(request: Request, name: str, console: Admin) -> Response:
    prompts.prompt_path(_dir(request), console.company_id, name)
    return render(
        request,
        "confirm.html",
        {
            "title": "Delete prompt",
            "what": name,
            "action": f"/console/prompts/{name}/delete",
            "back": "/console/prompts",
        },
    )


@router.post("/prompts/{name}/delete")
async def prompt_delete(
    request: Request, name: str, console: Admin, form: FormDep, session: SessionDep, ctx: ContextDep
) -> Response:
    try:
        await prompts.delete_prompt(
            session,
            ctx=ctx,
            prompts_dir=_dir(request),
            company_id=console.company_id,
            name=name,
            actor_id=console.user.id,
        )
    except Conflict as exc:
        await session.rollback()
        return redirect("/console/prompts", flash=f"Still in use: %s|{exc.message}")
    return redirect("/console/prompts", flash="Deleted.")
