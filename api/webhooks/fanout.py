"""Writing the deliveries of one event, inside the transaction of the move that caused it (the outbox):
one WebhookDelivery per active endpoint subscribed to the event, of each company concerned, each with
its own uuid and the payload it will carry on every attempt. After commit each is queued
(`deliver_webhook`); a broker that is down loses nothing: beat's sweeper sends what is due.

The hearing a move was about (api/webhooks/events.py says when it can be read): a hearing the move
saved before its case event is read in the move; one saved after it (booked, called off, its outcome
written: the case moves first) is added right after the move commits, before the delivery is queued
(`complete_payloads`), whatever the broker or the endpoint are doing then — and, should that callback
never run (the process died at commit), by the first attempt, with the same lookup, anchored at the
event's time so that a hearing booked later is never taken for it. Every attempt sends the stored
payload unchanged.

A move whose case no company with an endpoint sees costs one query (the partial index
`webhookendpoint_active`, joined to the case's parts). Whom a company is told about is the rule the
pages and the API read (complaints.selectors.parts_seen_by_their_company): a served case the lead
company no longer sees (archived after a withdrawal) sends it nothing.

The payload (the same shape for every event; `data` carries only ids, numbers, states and dates, as
the company API shows them, never a text someone wrote):

    {"id": "<delivery uuid>", "type": "case.served", "created_at": "<ISO 8601>",
     "data": {"case": {"id", "number", "state"},
              "company_part": {"id", "status", "notified_at"},
              "action": "<the case action's code>",
              "hearing": {"id", "starts_at", "ends_at", "status", "outcome"} | null,   # hearing.scheduled,
                                                             # hearing outcomes, acta.ready
              "acta": {"id", "hearing_id", "sha256", "generated_at"},           # acta.ready
              "deadline": {"clock_id", "kind", "due_at", "overdue"}}}          # deadline.near
"""

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime

from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.webhooks.events import HEARING_SAVED_AFTER, HEARING_SAVED_BEFORE, CaseWebhook, webhook_for
from complaints.models import CLOSED_PART_STATUSES, CaseCompany, CaseEvent, Complaint
from complaints.selectors import parts_seen_by_their_company
from hearings.models import Acta, Hearing
from oversight.models import Clock, WhoActs

logger = logging.getLogger("api.webhooks")


def _when(moment: datetime | None) -> str | None:
    """ISO 8601 in the office's time with its offset (e.g. 2026-03-19T23:59:59-03:00), as the company
    API writes a moment (api/schemas.py `Moment`), whatever the time zone the value came in."""
    return timezone.localtime(moment).isoformat() if moment is not None else None


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


def _seen_parts(case_id: int) -> QuerySet[CaseCompany]:
    """The case's parts whose company sees it now (the move's own state: the case row is saved)."""
    return CaseCompany.objects.filter(parts_seen_by_their_company(), complaint_id=case_id)


def _subscribed(case_id: int, event: str, parts: "Iterable[int] | None" = None) -> list[WebhookEndpoint]:
    """The active endpoints subscribed to `event` of the companies that see the case (or of `parts`
    of it): one query. The subscription is read here rather than in SQL (a JSON list; SQLite, which
    the demo runs on, has no containment lookup) — a company has a handful of endpoints at most."""
    seen = _seen_parts(case_id)
    if parts is not None:
        seen = seen.filter(pk__in=list(parts))
    endpoints = WebhookEndpoint.objects.filter(active=True, company_id__in=seen.values("company_id"))
    return [endpoint for endpoint in endpoints if event in (endpoint.events or [])]


def _write(rows: list[WebhookDelivery], *, complete: bool = False) -> list[WebhookDelivery]:
    """Insert the rows, skipping any the same cause already wrote (the unique endpoint + source +
    event), in a savepoint of their own: a failure here rolls back the deliveries, not the move
    (api/receivers.py logs it). After commit their payloads are completed (`complete`) and they are
    queued. Returns the rows as built; a skipped row's uuid finds nothing to deliver."""
    if not rows:
        return []
    try:
        with transaction.atomic():
            WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
            transaction.on_commit(lambda: _after_commit(rows, complete=complete), robust=True)
    except DatabaseError:  # rolled back to the savepoint: the move's transaction goes on
        logger.exception("Could not write webhook deliveries; the move goes on without them.")
        return []
    return rows


def _after_commit(rows: list[WebhookDelivery], *, complete: bool) -> None:
    if complete:
        try:
            complete_payloads(rows)
        except Exception:
            logger.exception("Could not complete webhook payloads; their first attempt completes them.")
    queue_deliveries([str(row.uuid) for row in rows])


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
        _seen_parts(case.pk)
        .filter(company_id__in=list(by_company))
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
            common["acta"] = {
                "id": acta.pk,
                "hearing_id": acta.hearing_id,
                "sha256": acta.sha256,  # what POST /api/v1/hearings/{id}/acta/confirm sends back
                "generated_at": _when(acta.generated_at),
            }
    elif spec.hearing == HEARING_SAVED_BEFORE:
        # Saved by this move just before its event, under the case's lock: the case's hearing saved last.
        hearing = Hearing.objects.filter(complaint_id=case.pk).order_by("-updated_at", "-pk").first()
        common["hearing"] = _hearing_data(hearing) if hearing is not None else None
    rows = []
    for p in parts:
        # Served: once per part, whichever move served it. Anything else: once per event.
        source = f"part:{p.pk}:served" if spec.event == WebhookEvent.CASE_SERVED else f"case-event:{event.pk}"
        for endpoint in by_company.get(p.company_id or 0, []):
            data = {**common, "company_part": _part_data(p)}
            rows.append(_delivery(endpoint, event=spec.event, source=source, created_at=event.created_at, data=data))
    return _write(rows, complete=spec.hearing == HEARING_SAVED_AFTER and "hearing" not in common)


def _hearing_saved_after(case_id: int, event: str, since: datetime) -> Hearing | None:
    """The hearing a move saved after its case event (at `since`): the first of the case saved at or
    after that moment — a later move's hearing (the next one booked) is saved later still; failing
    that (a caller that saved it first), the last saved before. For an outcome, only hearings whose
    outcome was recorded."""
    hearings = Hearing.objects.filter(complaint_id=case_id)
    if event == WebhookEvent.CASE_OUTCOME:
        hearings = hearings.filter(outcome_recorded_at__isnull=False)
    return (
        hearings.filter(updated_at__gte=since).order_by("updated_at", "pk").first()
        or hearings.filter(updated_at__lt=since).order_by("-updated_at", "-pk").first()
    )


def _hearing_to_add(delivery: WebhookDelivery) -> tuple[bool, dict | None]:
    """(whether the payload still lacks its hearing, the hearing's data)."""
    data = delivery.payload.get("data") or {}
    spec = webhook_for(str(data.get("action", "")))
    if spec is None or spec.hearing != HEARING_SAVED_AFTER or "hearing" in data:
        return False, None
    case_id = (data.get("case") or {}).get("id")
    created_at = delivery.payload.get("created_at")
    if not case_id or not created_at:
        return True, None
    hearing = _hearing_saved_after(case_id, spec.event, datetime.fromisoformat(created_at))
    return True, _hearing_data(hearing) if hearing is not None else None


def complete_payload(delivery: WebhookDelivery) -> bool:
    """Add the hearing a move saved after its case event to the delivery's payload (None when there
    is none). True when the payload changed; the caller stores it, and every later attempt sends the
    same. Run right after the move's commit (`complete_payloads`), and again by the first attempt
    in case that never ran."""
    missing, hearing = _hearing_to_add(delivery)
    if not missing:
        return False
    data = {**(delivery.payload.get("data") or {}), "hearing": hearing}
    delivery.payload = {**delivery.payload, "data": data}
    return True


def complete_payloads(rows: list[WebhookDelivery]) -> None:
    """Right after the move's commit, before queueing: complete and store the payloads of its new
    deliveries (a row another cause had written, or that a worker took meanwhile, is left alone)."""
    if not rows:
        return
    missing, hearing = _hearing_to_add(rows[0])  # the rows of one event: one case, one hearing
    if not missing:
        return
    for row in rows:
        row.payload = {**row.payload, "data": {**(row.payload.get("data") or {}), "hearing": hearing}}
        WebhookDelivery.objects.filter(uuid=row.uuid, status=DeliveryStatus.PENDING, attempts=0).update(
            payload=row.payload
        )


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
    parts = _seen_parts(case.pk).order_by("position", "pk")
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
