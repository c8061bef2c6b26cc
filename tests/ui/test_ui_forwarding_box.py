"""Settings > Calls > Call forwarding over a stand-in session speaking `/me/forwarding` (httpx mock
transport): a rule whose extension was deleted since is flagged under the rule."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from softphone.provisioning import ProvisioningClient, Tokens
from softphone.secrets import MemorySecrets
from ui.viewmodels.settings import ForwardingViewModel
from ui.views.forwarding_box import ForwardingBox

pytestmark = [pytest.mark.ui, pytest.mark.unit]


def _rule(**kw: Any) -> dict[str, Any]:
    return {"enabled": False, "target_kind": "extension", "target": "", "seconds": 20, **kw}


def test_a_rule_to_a_deleted_extension_is_flagged(qloop, qtbot) -> None:
    stored = {
        "always": _rule(),
        "busy": _rule(enabled=True, target="109", target_missing=True),
        "no_answer": _rule(enabled=True, target="103", target_missing=False),
        "unreachable": _rule(),  # a server before target_missing
    }
    client = ProvisioningClient(
        "http://pbx.test/api/v1",
        MemorySecrets(),
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=stored)),
    )
    client._store(Tokens("access", "refresh", 900))
    vm = ForwardingViewModel(SimpleNamespace(signed_in=True, client=client))  # type: ignore[arg-type]
    box = ForwardingBox(vm)
    qtbot.addWidget(box)
    box.show()
    qloop.run_until_complete(vm.load_async())
    assert vm.rules["busy"].target_missing and not vm.rules["unreachable"].target_missing
    busy, no_answer = box.rows["busy"], box.rows["no_answer"]
    assert busy.error.isVisible() and "109" in busy.error.text() and "no longer exists" in busy.error.text()
    assert not no_answer.error.isVisible()
