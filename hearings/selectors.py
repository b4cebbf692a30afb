"""Who may see which hearing, and who is a party to it. Every hearings view starts here."""

from django.db.models import QuerySet

from complaints.selectors import complaints_visible_to
from complaints.states import OFFICE_ROLES, represents
from parties.models import Role, User

from .models import Attendance, Hearing


def hearings_visible_to(user: User) -> QuerySet[Hearing]:
    """Hearings of the cases the user may see (conciliators: the hearings they hold)."""
    hearings = Hearing.objects.select_related("complaint", "conciliator")
    if user.role == Role.CONCILIATOR:
        return hearings.filter(conciliator=user)
    return hearings.filter(complaint__in=complaints_visible_to(user).values("pk"))


def party_of(hearing: Hearing, user: User) -> str | None:
    """Which side of this hearing the user is on, or None: only parties enter the room."""
    if user.pk == hearing.conciliator_id:
        return Attendance.Party.CONCILIATOR
    if user.pk == hearing.complaint.consumer_id:
        return Attendance.Party.CONSUMER
    if represents(user, hearing.complaint):
        return Attendance.Party.COMPANY
    return None


def is_office(user: User) -> bool:
    return user.role in OFFICE_ROLES


def current_hearing(complaint_id: int) -> Hearing | None:
    """The case's hearing still to be held, if any."""
    return (
        Hearing.objects.filter(complaint_id=complaint_id, status=Hearing.Status.SCHEDULED)
        .select_related("conciliator")
        .order_by("-starts_at")
        .first()
    )


def attendance_summary(hearing: Hearing) -> list[dict]:
    """Per person: their side, first join and last leave, and every record (for the case file).

    Reads the rows once; a manual record replaces what the browser/server said for that person."""
    people: dict[str, dict] = {}
    for row in hearing.attendance.all():
        key = f"u{row.user_id}" if row.user_id else f"n{row.display_name}"
        person = people.setdefault(
            key,
            {
                "user_id": row.user_id,
                "name": row.display_name,
                "party": row.party,
                "party_label": row.get_party_display(),
                "joined_at": None,
                "left_at": None,
                "records": [],
                "corrected": False,
            },
        )
        person["records"].append(row)
        if row.source == Attendance.Source.MANUAL:
            if not person["corrected"]:  # the first manual record wipes the automatic figures
                person["joined_at"] = person["left_at"] = None
            person["corrected"] = True
        elif person["corrected"]:
            continue
        if row.kind == Attendance.Kind.JOINED and person["joined_at"] is None:
            person["joined_at"] = row.at
        if row.kind == Attendance.Kind.LEFT:
            person["left_at"] = row.at
    order = {Attendance.Party.CONCILIATOR: 0, Attendance.Party.CONSUMER: 1, Attendance.Party.COMPANY: 2}
    return sorted(people.values(), key=lambda p: (order.get(p["party"], 3), p["joined_at"] is None))


def attended(hearing: Hearing, party: str) -> bool:
    """Whether that side was in the room, by evidence a party cannot make up: the video server's
    events or the conciliator's record. A browser's own report is shown, but proves nothing."""
    return (
        hearing.attendance.filter(party=party, kind=Attendance.Kind.JOINED)
        .exclude(source=Attendance.Source.CLIENT)
        .exists()
    )
