"""``ClientToken`` idempotence as AWS has it, for the emulator's create patches.

EC2 API reference, "Ensuring idempotency": a create sent again with the same client token returns what the first one
made and makes nothing; the same token with other parameters fails with ``IdempotentParameterMismatch``. Stock moto
ignores the token. The tokens are kept on the moto backend, per account and region, so /moto-api/reset clears them.
"""

from collections.abc import Callable, Hashable
from typing import Any

from moto.ec2.exceptions import EC2ClientError


class IdempotentParameterMismatchError(EC2ClientError):
    def __init__(self, client_token: str) -> None:
        super().__init__(
            "IdempotentParameterMismatch",
            f"The client token {client_token} has already been used with different parameters.",
        )


class ClientTokens:
    """The client tokens of one kind of create (``"nat"``...) that ``backend`` answered, with what each made."""

    def __init__(self, backend: Any, kind: str) -> None:
        self._made: dict[str, tuple[str, Hashable]] = backend.__dict__.setdefault(
            f"_aws_emulator_{kind}_client_tokens", {}
        )

    def create_once(
        self,
        client_token: str | None,
        fingerprint: Hashable,
        create: Callable[[], Any],
        existing: Callable[[str], Any],
    ) -> Any:
        """What ``create()`` makes or, for a token seen before, ``existing(id)`` of what it made then.
        ``fingerprint``: what makes two requests the same request."""
        if client_token and client_token in self._made:
            resource_id, known_fingerprint = self._made[client_token]
            if known_fingerprint != fingerprint:
                raise IdempotentParameterMismatchError(client_token)
            return existing(resource_id)
        resource = create()
        if client_token:
            self._made[client_token] = (resource.id, fingerprint)
        return resource


def echoing_token(result: dict[str, Any], client_token: str | None) -> dict[str, Any]:
    """``result`` with the request's ``ClientToken``, which AWS echoes in a create's answer."""
    return {**result, "ClientToken": client_token} if client_token else result
