"""A company's API keys: created by one of its administrators (the plaintext shown once, only its
SHA-256 kept) and revoked by one. Keyword-only, atomic, the policy asked under the lock."""

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parties.models import Company, User

from .. import policy
from ..auth import KEY_PREFIX, secret_digest
from ..errors import ManagementError
from ..models import ApiKey, Scope

NAME_MAX = 100


def _clean_scopes(scopes: list[str] | tuple[str, ...] | set[str]) -> list[str]:
    chosen = [scope for scope in Scope.values if scope in set(scopes)]
    unknown = set(scopes) - set(Scope.values)
    if unknown or not chosen:
        raise ManagementError(_("Choose at least one of the scopes: read, answer, offer."))
    return chosen


def api_key_create(*, company: Company, by: User, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """The new key and its plaintext "ck_<prefix>_<secret>", which is never shown again."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise ManagementError(_("Give the key a name of up to %(max)s characters.") % {"max": NAME_MAX})
    chosen = _clean_scopes(scopes)
    with transaction.atomic():
        company = Company.objects.select_for_update().get(pk=company.pk)
        policy.ensure(policy.MANAGE_COMPANY_API, by, company)
        for _attempt in range(5):
            prefix = secrets.token_hex(6)
            if not ApiKey.objects.filter(prefix=prefix).exists():
                break
        secret = secrets.token_urlsafe(32)
        key = ApiKey.objects.create(
            company=company,
            name=name,
            prefix=prefix,
            secret_sha256=secret_digest(secret),
            scopes=chosen,
            created_by=by,
        )
    return key, f"{KEY_PREFIX}{prefix}_{secret}"


def api_key_revoke(*, key: ApiKey, by: User) -> ApiKey:
    """Revoked at once: the next call with it is a 401. Revoking a revoked key changes nothing."""
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().select_related("company").get(pk=key.pk)
        policy.ensure(policy.MANAGE_COMPANY_API, by, key.company)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.revoked_by = by
            key.save(update_fields=["revoked_at", "revoked_by"])
    return key
