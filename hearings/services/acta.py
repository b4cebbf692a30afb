"""The acta of a hearing: generated (PDF + SHA-256) after the outcome, then confirmed by the parties."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from complaints.models import CaseCompany
from complaints.records import record_text
from complaints.representation import consumer_agent, parts_bound_by
from complaints.services import lock_case, record_event
from parties.models import Representation, User

from .. import policy
from ..errors import HearingError
from ..models import Acta, ActaConfirmation, Hearing
from ..notify import notify_hearing
from .shared import Party, lock_hearing


def acta_generate(*, hearing_id: int) -> Acta | None:
    """Render the acta to PDF, store it with its SHA-256 and ask the parties to confirm it.

    Idempotent: an acta already generated is kept as it is (parties may have confirmed that exact
    document). The PDF is rendered before any lock is taken; if two workers race, one stores it."""
    from ..acta import render_acta

    hearing = (
        Hearing.objects.select_related("complaint", "complaint__company", "conciliator").filter(pk=hearing_id).first()
    )
    if hearing is None or not hearing.outcome:
        return None
    existing = Acta.objects.filter(hearing=hearing).first()
    if existing is not None and existing.is_ready:
        return existing
    now = timezone.now()
    pdf = render_acta(hearing, generated_at=now)
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        case = lock_case(hearing.complaint_id)
        locked = lock_hearing(hearing_id)
        acta, _created = Acta.objects.get_or_create(hearing=locked)
        acta = Acta.objects.select_for_update().get(pk=acta.pk)
        if acta.is_ready:
            return acta
        # The stored name is random (Acta.file's upload_to); the download is named by the view.
        acta.file.save("acta.pdf", ContentFile(pdf), save=False)
        acta.sha256, acta.generated_at = digest, now
        try:
            acta.save(update_fields=["file", "sha256", "generated_at"])
        except Exception:
            acta.file.delete(save=False)
            raise
        record_event(case=case, action="acta_generated", by=None, reason=f"SHA-256 {digest}")
        notify_hearing(
            locked,
            "acta_ready",
            key=f"acta:{acta.pk}:ready",
            context={"confirm_url": settings.SITE_URL + reverse("acta_confirm", args=[locked.pk])},
        )
    return acta


def acta_confirm(
    *, hearing: Hearing, by: User, sha256: str | None = None, part: CaseCompany | None = None
) -> ActaConfirmation:
    """A party (the consumer, a representative of the company, the conciliator) confirms the acta
    they read: the confirmation keeps that document's SHA-256 and the time. `part`: a representative
    confirms for that company alone (the API, whose key acts for one company), never for another
    company they also bind."""
    with transaction.atomic():
        case = lock_case(hearing.complaint_id)
        locked = lock_hearing(hearing.pk)
        locked.complaint = case
        policy.ensure(policy.CONFIRM_ACTA, by, locked)
        # The hearing's lock (taken above) keeps two confirmations by one person from both passing.
        party = policy.acta_side(by, locked)
        acta = policy.acta_of(locked)
        assert acta is not None and party is not None  # the rule asked for both
        if sha256 is not None and sha256 != acta.sha256:
            raise HearingError(_("The acta changed after you opened it. Read it again before confirming it."))
        part, acting_as = _acting_for(by, locked, acta, party, only=part)
        confirmation = ActaConfirmation.objects.create(
            acta=acta,
            user=by,
            party=party,
            part=part,
            acting_as=acting_as,
            sha256=acta.sha256,
            confirmed_at=timezone.now(),
        )
        who = f"{party} ({part.display_name})" if part is not None else party
        record_event(
            case=case,
            action="acta_confirmed",
            by=by,
            reason=f"{who}{' · ' + acting_as if acting_as else ''} · SHA-256 {acta.sha256}",
        )
    return confirmation


def _acting_for(
    user: User, hearing: Hearing, acta: Acta, party: str, *, only: CaseCompany | None = None
) -> tuple[CaseCompany | None, str]:
    """For whom and under which power the person confirms: the consumer in person (""), the
    consumer's representative (their kind), or a representative for one company of the case that
    they bind (the first still to confirm, the agreeing ones only when they bind one; `only` that
    company), under its validated power: one confirmation per company, so who binds two agreeing
    companies confirms twice."""
    case = hearing.complaint
    if party == Party.CONSUMER:
        agent = consumer_agent(user, case) if user.pk != case.consumer_id else None
        return None, str(agent.get_kind_display()) if agent is not None else ""
    if party != Party.COMPANY:
        return None, ""
    bound = list(parts_bound_by(user, case).select_related("company"))
    pending = policy.acta_parts_to_confirm(user, hearing, acta, bound)
    if only is not None:
        pending = [part for part in pending if part.pk == only.pk]
        if not pending:
            raise HearingError(_nothing_to_confirm_for(user, only, bound, acta))
    if not pending:  # the rule refused it already (no validated power, or all confirmed)
        raise HearingError(_("Every company you can bind has already confirmed this acta."))
    part = pending[0]
    power = Representation.objects.binding().filter(user_id=user.pk, company=part.company).order_by("-pk").first()
    acting_as = (
        record_text(gettext_noop("%(kind)s, validated"), kind=power.get_power_kind_display())
        if power is not None and power.power_kind
        else record_text(gettext_noop("Power validated by the office"))
    )
    return part, acting_as


def _nothing_to_confirm_for(user: User, part: CaseCompany, bound: list[CaseCompany], acta: Acta) -> str:
    """Why the person cannot confirm the acta for this one company (policy.acta_parts_to_confirm left
    it out)."""
    name = part.display_name
    if part.pk not in {each.pk for each in bound}:
        return _(
            "Your power to act for %(company)s has not been validated yet: the office must validate it "
            "before you can confirm the acta in its name."
        ) % {"company": name}
    if any(
        c.party == Party.COMPANY and c.part_id == part.pk and (c.user_id == user.pk or c.sha256 == acta.sha256)
        for c in acta.confirmations.all()
    ):
        return _("%(company)s has already confirmed this acta.") % {"company": name}
    return _("%(company)s did not agree at this hearing: its confirmation of the acta is not needed.") % {
        "company": name
    }


def hearings_missing_their_acta(*, older_than: timedelta = timedelta(minutes=5), limit: int = 200) -> list[int]:
    """Hearings whose outcome was recorded a while ago and whose acta is still not generated (a
    task that never ran, or failed): the beat job queues them again."""
    cutoff = timezone.now() - older_than
    return list(
        Hearing.objects.filter(outcome_recorded_at__lt=cutoff)
        .exclude(outcome="")
        .exclude(acta__sha256__gt="")
        .order_by("outcome_recorded_at")
        .values_list("pk", flat=True)[:limit]
    )
