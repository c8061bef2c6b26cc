"""Provisioning by one-time token (the URL inside the mobile QR code)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response

from server.api.deps import ContextDep, SessionDep
from server.api.schemas.common import ERROR_RESPONSES
from server.api.schemas.me import ProvisioningDocument
from server.domain import accounts, provisioning

router = APIRouter(prefix="/provisioning", tags=["provisioning"], responses=ERROR_RESPONSES)

Token = Annotated[str, Path(min_length=1, max_length=128)]


@router.get(
    "/{token}",
    responses={
        200: {"content": {"application/xml": {}, "application/json": {}}, "model": ProvisioningDocument}
    },
)
async def redeem(
    token: Token,
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    x_linphone_provisioning: Annotated[str | None, Header()] = None,
) -> Response:
    """Linphone (header `X-Linphone-Provisioning`) gets lpconfig XML;
    `Accept: application/json` gets our JSON document."""
    for_linphone = x_linphone_provisioning is not None
    for_app = "application/json" in request.headers.get("accept", "")
    user, device = await provisioning.redeem(
        session, ctx=ctx, token=token, for_linphone=for_linphone, for_app=for_app
    )
    if for_linphone:
        xml = await provisioning.linphone_xml(session, ctx=ctx, user=user, device=device)
        return Response(xml, media_type="application/xml", headers={"Cache-Control": "no-store"})
    document = await accounts.provisioning_document(session, ctx=ctx, user=user, device=device)
    body = ProvisioningDocument.model_validate(document).model_dump_json()
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get("/{token}/lpconfig.xml", responses={200: {"content": {"application/xml": {}}}})
async def redeem_lpconfig(token: Token, session: SessionDep, ctx: ContextDep) -> Response:
    """Linphone XML without the header check: for Linphone builds that do not send
    `X-Linphone-Provisioning` (e.g. Debian's linphonec 5.1), set as `[misc] config-uri` by hand.
    Same one-time and expiry rules; never put this URL in a QR code or a chat message."""
    user, device = await provisioning.redeem(session, ctx=ctx, token=token, for_linphone=True, for_app=False)
    xml = await provisioning.linphone_xml(session, ctx=ctx, user=user, device=device)
    return Response(xml, media_type="application/xml", headers={"Cache-Control": "no-store"})


@router.get("/{token}/qr.png", responses={200: {"content": {"image/png": {}}}})
async def qr_png(token: Token, session: SessionDep, ctx: ContextDep) -> Response:
    url = await provisioning.qr_target(session, ctx=ctx, token=token)
    return Response(provisioning.qr_png(url), media_type="image/png", headers={"Cache-Control": "no-store"})


@router.get("/{token}/qr.svg", responses={200: {"content": {"image/svg+xml": {}}}})
async def qr_svg(token: Token, session: SessionDep, ctx: ContextDep) -> Response:
    url = await provisioning.qr_target(session, ctx=ctx, token=token)
    return Response(
        provisioning.qr_svg(url), media_type="image/svg+xml", headers={"Cache-Control": "no-store"}
    )
