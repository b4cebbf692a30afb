"""Parts referred before the legal directorate had its queue get their proceeding (status received,
referred at the part's end); and, on PostgreSQL, a trigram index for the queue's company search
(`company_name__icontains` is `UPPER(company_name::text) LIKE UPPER(…)`)."""

from django.db import migrations

BATCH = 2000
# The case-wide referral's reason, by the state the case left (legal/receivers.py says the same).
REASON_BY_STATE = {"no_agreement": "no_agreement", "company_absent": "company_absent", "breached": "breach"}
# One company's referral (`part_referred`), by its part's own move before it: action codes, never
# the translated words of the event's reason (legal/receivers.py `part_referral_reason`).
REASON_BY_PART_ACTION = {
    "part_no_agreement": "no_agreement",
    "part_absent": "company_absent",
    "part_agreement": "breach",
    "part_resumed": "other",
}
REASON_BY_OUTCOME = {"no_agreement": "no_agreement", "company_absent": "company_absent", "agreement": "breach"}
PART_ACTIONS = ("part_referred", *REASON_BY_PART_ACTION)


def _name(part) -> str:
    return part.company.legal_name if part.company_id else part.name  # CaseCompany.display_name


def open_proceedings(apps, schema_editor):
    CaseCompany = apps.get_model("complaints", "CaseCompany")
    CaseEvent = apps.get_model("complaints", "CaseEvent")
    Proceeding = apps.get_model("legal", "Proceeding")
    Agreement = apps.get_model("hearings", "Agreement")
    PartOutcome = apps.get_model("hearings", "PartOutcome")
    pending = CaseCompany.objects.filter(status="referred", proceeding__isnull=True).select_related("company")
    while True:
        parts = list(pending.order_by("pk")[:BATCH])
        if not parts:
            return
        cases = {part.complaint_id for part in parts}
        referrals = {
            complaint_id: (from_state, reason, created_at)
            for complaint_id, from_state, reason, created_at in CaseEvent.objects.filter(
                complaint_id__in=cases, action="refer"
            )
            .order_by("created_at", "pk")
            .values_list("complaint_id", "from_state", "reason", "created_at")
        }
        # Each case's part moves, oldest first: a part's events begin with its name.
        part_events: dict[int, list[tuple[str, str, object]]] = {}
        for complaint_id, action, reason, created_at in (
            CaseEvent.objects.filter(complaint_id__in=cases, action__in=PART_ACTIONS)
            .order_by("created_at", "pk")
            .values_list("complaint_id", "action", "reason", "created_at")
        ):
            part_events.setdefault(complaint_id, []).append((action, reason, created_at))
        parts_ids = [part.pk for part in parts]
        agreed = set(Agreement.objects.filter(part_id__in=parts_ids).values_list("part_id", flat=True))
        outcomes = dict(
            PartOutcome.objects.filter(part_id__in=parts_ids)
            .order_by("part_id", "recorded_at", "pk")
            .values_list("part_id", "outcome")
        )  # the last outcome of each part wins
        rows = []
        for part in parts:
            from_state, note, referred_at = referrals.get(part.complaint_id, ("", "", None))
            reason = REASON_BY_STATE.get(from_state, "other")
            prefix = f"{_name(part)} ("
            mine = [event for event in part_events.get(part.complaint_id, []) if event[1].startswith(prefix)]
            own = [event for event in mine if event[0] == "part_referred"]
            if own:
                # Referred on its own: the case-wide referral (if any) did not take this part.
                _action, note, referred_at = own[-1]
                before = [event[0] for event in mine if event[0] != "part_referred" and event[2] <= referred_at]
                if part.pk in agreed:
                    reason = "breach"
                elif before:
                    reason = REASON_BY_PART_ACTION[before[-1]]
                else:
                    reason = REASON_BY_OUTCOME.get(outcomes.get(part.pk, ""), "other")
            rows.append(
                Proceeding(
                    complaint_id=part.complaint_id,
                    part_id=part.pk,
                    company_name=(part.company.legal_name if part.company_id else part.name)[:200],
                    company_cuit=part.company.cuit if part.company_id else part.cuit,
                    status="received",
                    referral_reason=reason,
                    referral_note=note,
                    received_at=part.closed_at or referred_at or part.created_at,
                )
            )
        Proceeding.objects.bulk_create(rows, ignore_conflicts=True)


def add_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS proceeding_company_trgm ON legal_proceeding "
        "USING gin ((UPPER(company_name::text)) gin_trgm_ops)"
    )


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS proceeding_company_trgm")


class Migration(migrations.Migration):
    dependencies = [("legal", "0001_proceedings"), ("hearings", "0004_parts_guests_and_outcomes_per_company")]

    operations = [
        migrations.RunPython(open_proceedings, migrations.RunPython.noop),
        migrations.RunPython(add_search_index, drop_search_index),
    ]
