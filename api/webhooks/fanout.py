"""Writing the deliveries of one event, inside the transaction of the move that caused it (the outbox):
one WebhookDelivery per active endpoint subscribed to the event, of each company concerned, each with
its own uuid and the payload it will carry on every attempt. After commit each is queued
(`deliver_webhook`); a broker that is down loses nothing: beat's sweeper sends what is due.

One part of a payload is added after commit, before the first attempt (`complete_payload`): the
hearing a move was about, because the hearings floor saves its hearing after the case's event (the
hearing is booked once the case moved; the outcome is written on it once the case took it). Every
attempt after the first sends the stored payload unchanged.

A move whose case no company with an endpoint is served in costs one query (the partial index
`webhookendpoint_active`, joined to the case's served parts).

The payload (the same shape for every event; `data` carries only ids, numbers, states and dates, as
the company API shows them, never a text someone wrote):

    {"id": "<delivery uuid>", "type": "case.served", "created_at": "<ISO 8601>",
     "data": {"case": {"id", "number", "state"},
              "company_part": {"id", "status", "notified_at"},
              "action": "<the case action's code>",
              "hearing": {"id", "starts_at", "ends_at", "status", "outcome"} | null,   # hearing.scheduled,
                                                             # hearing outcomes, acta.ready
              "acta": {"id", "hearing_id", "generated_at"},                     # acta.ready
              "deadline": {"clock_id", "kind", "due_at", "overdue"}}}          # deadline.near
"""

import logging
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from api.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.webhooks.events import CaseWebhook, webhook_for
from complaints.models import CLOSED_PART_STATUSES, CaseCompany, CaseEvent, Complaint
from hearings.models import Acta, Hearing
from oversight.models import Clock, WhoActs

logger = logging.getLogger("api.webhooks")


def _when(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC, whatever the time zone the value came in."""
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _case_data(case: Complaint) -> dict:
    return {"id": case.pk, "number": case.number, "state": case.status}


def _part_data(part: CaseCompany) -> dict:
    return {"id": part.pk, "status": part.status, "notified_at": _when(part.notified_at)}


def _hearing_data(hearing: Hearing) -> dict:
    return {
        "id": hearing.pk,
        "starts_at": _when(hearing.starts_at),
        "ends_at": _when(hearing.ends_at),
        "status": hearing.status,
        "outcome": hearing.outcome,
    }


def _subscribed(case_id: int, event: str, parts: "Iterable[int] | None" = None) -> list[WebhookEndpoint]:
    """The active endpoints subscribed to `event` of the companies served in the case (or in `parts`
    of it): one query. The subscription is read here rather than in SQL (a JSON list; SQLite, which
    the demo runs on, has no containment lookup) — a company has a handful of endpoints at most."""
    served = CaseCompany.objects.filter(complaint_id=case_id, notified_at__isnull=False)
    if parts is not None:
        served = served.filter(pk__in=list(parts))
    endpoints = WebhookEndpoint.objects.filter(active=True, company_id__in=served.values("company_id"))
    return [endpoint for endpoint in endpoints if event in (endpoint.events or [])]


def _write(rows: list[WebhookDelivery]) -> list[WebhookDelivery]:
    """Insert the rows, skipping any the same cause already wrote (the unique endpoint + source +
    event), and queue them after commit; returns the rows as built. A skipped row's uuid finds
    nothing to deliver."""
    if not rows:
        return []
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    uuids = [str(row.uuid) for row in rows]
    transaction.on_commit(lambda: queue_deliveries(uuids), robust=True)
    return rows


def queue_deliveries(uuids: list[str]) -> None:
    """Queue each delivery's task. A broker that is down: logged, and the sweeper sends them within a
    minute of its return."""
    from api.webhooks.tasks import deliver_webhook  # the tasks module imports the delivery engine

    for delivery_uuid in uuids:
        try:
            deliver_webhook.delay(delivery_uuid)
        except Exception:
            logger.warning("Could not queue webhook deliveries %s; the sweeper sends them.", uuids, exc_info=True)
            return


def _delivery(
    endpoint: WebhookEndpoint, *, event: str, source: str, created_at: datetime, data: dict
) -> WebhookDelivery:
    delivery_uuid = uuid.uuid4()
    payload = {"id": str(delivery_uuid), "type": event, "created_at": _when(created_at), "data": data}
    return WebhookDelivery(
        uuid=delivery_uuid,
        endpoint=endpoint,
        event=event,
        source=source,
        payload=payload,
        next_attempt_at=timezone.now(),
    )


def _moved_parts(
    parts: list[CaseCompany], spec: CaseWebhook, event: CaseEvent, part: CaseCompany | None
) -> list[CaseCompany]:
    """The part(s) a part's own move moved: those now in the status it gives; with several, the one the
    event's reason names (complaints/services/parts.py `part_move` starts it with the part's name)."""
    moved = [p for p in parts if p.status == spec.part_status]
    if part is not None:
        return [p for p in moved if p.pk == part.pk]
    if len(moved) > 1:
        named = [p for p in moved if event.reason.startswith(f"{p.display_name} (")]
        return named or moved
    return moved


def fan_out_case_event(*, case: Complaint, event: CaseEvent, part: CaseCompany | None = None) -> list[WebhookDelivery]:
    """The deliveries a case event causes (api/webhooks/events.py says which), written now."""
    spec = webhook_for(event.action)
    if spec is None:
        return []
    endpoints = _subscribed(case.pk, spec.event)
    if not endpoints:
        return []
    by_company: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in endpoints:
        by_company.setdefault(endpoint.company_id, []).append(endpoint)
    parts = list(
        CaseCompany.objects.filter(complaint_id=case.pk, notified_at__isnull=False, company_id__in=list(by_company))
        .select_related("company")
        .order_by("position", "pk")
    )
    if spec.part_status is not None:
        parts = _moved_parts(parts, spec, event, part)
    elif spec.event == WebhookEvent.HEARING_SCHEDULED:
        parts = [p for p in parts if p.status not in CLOSED_PART_STATUSES]  # a part that ended has no hearing
    common: dict = {"case": _case_data(case), "action": event.action}
    if spec.event == WebhookEvent.ACTA_READY:
        acta = (
            Acta.objects.filter(hearing__complaint_id=case.pk, generated_at__isnull=False)
            .select_related("hearing")
            .order_by("-generated_at", "-pk")
            .first()
        )
        if acta is not None:
            common["hearing"] = _hearing_data(acta.hearing)
            common["acta"] = {"id": acta.pk, "hearing_id": acta.hearing_id, "generated_at": _when(acta.generated_at)}
    # Any other hearing is filled in before the first attempt (`complete_payload`): the move saves
    # its hearing after its case event (a hearing is booked once the case moved, an outcome recorded
    # on the hearing once the case took it).
    rows = []
    for p in parts:
        # Served: once per part, whichever move served it. Anything else: once per event.
        source = f"part:{p.pk}:served" if spec.event == WebhookEvent.CASE_SERVED else f"case-event:{event.pk}"
        for endpoint in by_company.get(p.company_id or 0, []):
            data = {**common, "company_part": _part_data(p)}
            rows.append(_delivery(endpoint, event=spec.event, source=source, created_at=event.created_at, data=data))
    return _write(rows)


def _hearing_for(case_id: int, event: str) -> Hearing | None:
    hearings = Hearing.objects.filter(complaint_id=case_id)
    if event == WebhookEvent.CASE_OUTCOME:  # the hearing whose outcome was recorded last
        return hearings.filter(outcome_recorded_at__isnull=False).order_by("-outcome_recorded_at", "-pk").first()
    return hearings.order_by("-updated_at", "-pk").first()  # the hearing set, moved or called off last


def complete_payload(delivery: WebhookDelivery) -> bool:
    """Before a delivery's first attempt (after its move committed): add the hearing its move was
    about, when its event carries one (None when the case has none). True when the payload changed;
    the caller stores it, and every later attempt sends the same."""
    data = delivery.payload.get("data") or {}
    spec = webhook_for(str(data.get("action", "")))
    if spec is None or not spec.with_hearing or "hearing" in data:
        return False
    case_id = (data.get("case") or {}).get("id")
    hearing = _hearing_for(case_id, spec.event) if case_id else None
    data["hearing"] = _hearing_data(hearing) if hearing is not None else None
    delivery.payload = {**delivery.payload, "data": data}
    return True


def fan_out_clock_reminder(*, clock: Clock, case: Complaint, stage: int, now: datetime) -> list[WebhookDelivery]:
    """deadline.near: a reminder of a wait on the company's side (oversight/) went out. The clock's
    subject is the company's part; one delivery per reminder (source "clock:<pk>:reminder:<stage>")."""
    if clock.who_acts != WhoActs.COMPANY:
        return []
    event = WebhookEvent.DEADLINE_NEAR
    part_ids = [clock.subject_id] if clock.subject_id else None
    endpoints = _subscribed(case.pk, event, part_ids)
    if not endpoints:
        return []
    parts = CaseCompany.objects.filter(complaint_id=case.pk, notified_at__isnull=False).order_by("position", "pk")
    if part_ids is not None:
        parts = parts.filter(pk__in=part_ids)
    deadline = {
        "clock_id": clock.pk,
        "kind": clock.kind,
        "due_at": _when(clock.due_at),
        "overdue": clock.due_at < now,
    }
    rows = []
    for p in parts:
        for endpoint in endpoints:
            if endpoint.company_id != p.company_id:
                continue
            data = {
                "case": _case_data(case),
                "company_part": _part_data(p),
                "action": "clock_reminder",
                "deadline": deadline,
            }
            rows.append(
                _delivery(endpoint, event=event, source=f"clock:{clock.pk}:reminder:{stage}", created_at=now, data=data)
            )
    return _write(rows)
