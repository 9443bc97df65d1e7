"""The API's clients are signed in as staff: results are staff-only before publication."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gateway.runtime import Runtime
from tests.staff.conftest import cheap_hashes, make_account, sign_in  # noqa: F401


def sign_in_staff(runtime: Runtime, client: TestClient) -> None:
    """Sign the client in as an agent, so that it reads unpublished results."""
    make_account(runtime, "agent")
    # Signed in, the client follows the redirection away from the sign-in page.
    assert sign_in(client, "agent").url.path != "/staff/sign-in"
