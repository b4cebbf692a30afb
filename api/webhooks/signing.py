"""How a delivery is signed: Standard Webhooks (https://www.standardwebhooks.com).

Three headers go with every POST:
    webhook-id         the delivery's uuid (the same on every retry and resend: the receiver's
                       de-duplication key)
    webhook-timestamp  unix seconds when this attempt was signed (the receiver refuses a stale one)
    webhook-signature  "v1,<base64 of HMAC-SHA256('{id}.{timestamp}.{body}')>", keyed with the secret's
                       bytes (the base64 after "whsec_")

Any Standard Webhooks library verifies it, e.g. Python's `standardwebhooks.Webhook(secret).verify(
body, headers)`."""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
# 32 random bytes: as long as SHA-256's block wants and more than the spec's 24-byte minimum.
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh endpoint secret, "whsec_" + base64 of 32 random bytes (shown to the administrator)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key inside a "whsec_..." secret."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value of one attempt ("v1,<base64>")."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign(*, secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt of a delivery."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret=secret, message_id=message_id, timestamp=timestamp, body=body),
    }
