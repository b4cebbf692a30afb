"""Writes docs/workflow.md: the case workflow as a Mermaid state diagram and a table, read from the
django-fsm transitions on `Complaint`. Who may make each move is not written down by hand: each
transition's permission callable is asked about a user of each role, so the document cannot drift
from the code (a test compares the committed file with this command's output)."""

import inspect
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone, translation

from complaints import actions
from complaints.models import Complaint
from complaints.states import CLOSED_STATES, State
from parties.models import Company, Representation, Role, User

OUTPUT = Path(settings.BASE_DIR) / "docs" / "workflow.md"

# Spanish names as the office says them; the English ones come from `State`'s labels.
SPANISH_STATES = {
    State.DRAFT: "Borrador",
    State.SUBMITTED: "Presentado",
    State.OBSERVED: "Observado",
    State.REJECTED: "Rechazado",
    State.ADMITTED: "Admitido",
    State.COMPANY_NOTIFIED: "Empresa notificada",
    State.HEARING_SCHEDULED: "Audiencia fijada",
    State.ADJOURNED: "Cuarto intermedio",
    State.AGREEMENT: "Acuerdo",
    State.AGREEMENT_APPROVED: "Acuerdo homologado",
    State.COMPLIED: "Acuerdo cumplido",
    State.BREACHED: "Acuerdo incumplido",
    State.NO_AGREEMENT: "Sin acuerdo",
    State.COMPANY_ABSENT: "Incomparecencia del proveedor",
    State.CONSUMER_ABSENT: "Incomparecencia del consumidor",
    State.WITHDRAWN: "Desistido",
    State.REFERRED: "Elevado a la dirección jurídica",
    State.ARCHIVED: "Archivado",
    State.REFERRED_OUT: "Derivado a la autoridad competente",
    State.CONCLUDED: "Concluido (terminó la parte de cada empresa)",
}


@dataclass(frozen=True)
class Actor:
    key: str
    short: str  # on the diagram's edges
    spanish: str
    english: str


ACTORS = [
    Actor("consumer", "consumer", "consumidor/a titular", "consumer who filed it"),
    Actor("representative", "company", "apoderado/a de la empresa", "company representative"),
    Actor("officer", "officer", "agente de admisión", "admission officer"),
    Actor("conciliator", "conciliator", "conciliador/a de la audiencia", "conciliator of the case's hearing"),
    Actor("supervisor", "supervisor", "supervisor/a", "supervisor"),
    Actor("director", "director", "director/a", "director"),
    # An officer (or supervisor) the director delegated homologation to (User.may_homologate), asked as an
    # officer; named only where the delegation is what lets them, since elsewhere they are the office.
    Actor("delegate", "delegate", "agente con delegación para homologar", "delegate of the director"),
    Actor("system", "system", "sistema (plazo vencido)", "system (a deadline passed)"),
    Actor("other_consumer", "any consumer", "cualquier consumidor/a", "any consumer"),
]
ASSISTED = " (assisted filing)"
ASSISTED_ES = " (carga asistida)"


@dataclass
class Move:
    name: str
    sources: list[str]
    target: str
    allowed: list[str]  # actor keys; officer/supervisor ones may carry ASSISTED
    condition: str


def _state_order(state: str) -> int:
    return list(State.values).index(state)


def _condition_text(condition) -> str:
    """A condition's docstring, or the expression of a lambda as it is written in the model."""
    if condition.__doc__:
        return condition.__doc__.strip().splitlines()[0]
    source = inspect.getsource(condition)
    start = source.find("lambda")
    if start < 0:
        return condition.__name__
    body_start = source.index(":", start) + 1
    depth, end = 0, body_start
    for end in range(body_start, len(source)):
        char = source[end]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif char == "," and depth == 0:
            break
    return source[body_start:end].strip()


def _probe_permissions(transitions: list) -> dict[tuple[str, str], list[str]]:
    """{(transition, source): [actor keys allowed]} from calling each permission callable with a user
    of each role, on a web-filed case and on an assisted-filing one. The people and the company
    exist only inside a transaction that is rolled back."""
    allowed: dict[tuple[str, str], list[str]] = {}
    with transaction.atomic():
        people = {
            key: User.objects.create_user(email=f"workflow-graph-{key}@example.invalid", role=role)
            for key, role in [
                ("consumer", Role.CONSUMER),
                ("other_consumer", Role.CONSUMER),
                ("representative", Role.REPRESENTATIVE),
                ("officer", Role.OFFICER),
                ("conciliator", Role.CONCILIATOR),
                ("supervisor", Role.SUPERVISOR),
                ("director", Role.DIRECTOR),
            ]
        }
        people["delegate"] = User.objects.create_user(
            email="workflow-graph-delegate@example.invalid", role=Role.OFFICER, may_homologate=True
        )
        company = Company.objects.create(cuit="00000000000", legal_name="Workflow graph probe")
        Representation.objects.create(user=people["representative"], company=company)
        web = Complaint.objects.create(consumer=people["consumer"], company=company)
        assisted = Complaint.objects.create(consumer=people["consumer"], company=company, filed_by=people["officer"])
        # A conciliator may act on a case only through a hearing of it (the hearings/ floor's model).
        hearing_model = apps.get_model("hearings", "Hearing")
        start = timezone.now()
        for hours, case in enumerate((web, assisted)):
            starts_at = start + timedelta(hours=hours)
            hearing_model.objects.create(
                complaint=case,
                conciliator=people["conciliator"],
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=1),
            )
        for item in transitions:
            keys: list[str] = []
            for actor in ACTORS:
                user = None if actor.key == "system" else people[actor.key]
                if item.has_perm(web, user):
                    key = actor.key
                elif item.has_perm(assisted, user):
                    key = actor.key + ASSISTED
                else:
                    continue
                if actor.key == "delegate" and key.replace("delegate", "officer") in keys:
                    continue  # any officer may: the delegation adds nothing here
                keys.append(key)
            allowed[(item.name, str(item.source))] = keys
        transaction.set_rollback(True)
    return allowed


def _moves() -> list[Move]:
    transitions = list(Complaint._meta.get_field("status").get_all_transitions(Complaint))
    allowed = _probe_permissions(transitions)
    moves: dict[tuple[str, str], Move] = {}
    for item in transitions:
        source, target = str(item.source), str(item.target)
        keys = allowed[(item.name, source)]
        # One row per transition and target; sources that share the same permissions merge.
        key = (item.name, target)
        move = moves.get(key)
        if move is None:
            condition = "; ".join(_condition_text(c) for c in item.conditions)
            moves[key] = Move(item.name, [source], target, keys, condition)
        else:
            if move.allowed != keys:
                raise CommandError(f"{item.name}: permissions differ by source state; the table cannot merge them.")
            move.sources.append(source)
    for move in moves.values():
        move.sources.sort(key=_state_order)
    return sorted(
        moves.values(), key=lambda m: (min(_state_order(s) for s in m.sources), _state_order(m.target), m.name)
    )


def _actor(key: str) -> Actor:
    return next(actor for actor in ACTORS if actor.key == key.removesuffix(ASSISTED))


def _short(keys: list[str]) -> str:
    names = []
    plain = set(keys)
    for key in keys:
        actor = _actor(key)
        if actor.key == "supervisor" and "officer" in plain:
            continue  # "office" below says both
        if actor.key == "officer" and "supervisor" in plain:
            names.append("office")
            continue
        if key.endswith(ASSISTED) and actor.key == "supervisor" and "officer" + ASSISTED in plain:
            continue
        if key.endswith(ASSISTED) and actor.key == "officer" and "supervisor" + ASSISTED in plain:
            names.append("office if assisted")
            continue
        names.append(actor.short + (" if assisted" if key.endswith(ASSISTED) else ""))
    return ", ".join(names) or "nobody"


def _long(keys: list[str]) -> str:
    parts = []
    for key in keys:
        actor = _actor(key)
        assisted = key.endswith(ASSISTED)
        parts.append(
            f"{actor.spanish}{ASSISTED_ES if assisted else ''} · {actor.english}{ASSISTED if assisted else ''}"
        )
    return "<br>".join(parts) or "—"


def _state_label(state: str) -> str:
    with translation.override("en"):
        english = str(State(state).label)
    return f"{SPANISH_STATES.get(State(state), english)} · {english}"


def render_workflow() -> str:
    moves = _moves()
    lines = [
        "# The workflow of a case · El circuito del expediente",
        "",
        "<!-- Generated by `python manage.py workflow_graph` from the django-fsm transitions on",
        "     complaints.models.Complaint. Do not edit by hand: tests/complaints/test_workflow.py fails",
        "     when this file and the model disagree. -->",
        "",
        "Every move of a case is one django-fsm transition on `Complaint.status`, made by one service in",
        "`complaints/services/`, which writes an immutable `CaseEvent`; what the timeline calls it and",
        "whether it closes the case are its declaration in `complaints/actions.py`. Who may make each",
        "move is read from the transition's permission callable, asked about a user of each role. On the",
        "diagram, *consumer* is the consumer who filed the complaint; *company*, an active representative",
        "of the company; *office*, the admission officer and the supervisor; *director*, the director, who",
        "homologates; *delegate*, an officer or supervisor the director delegated homologation to",
        "(`User.may_homologate`); *system*, a Celery beat job acting on a passed deadline; *if assisted*,",
        "only on a complaint an officer filed for the citizen.",
        "",
        "```mermaid",
        "stateDiagram-v2",
    ]
    for state in State:
        lines.append(f'    state "{_state_label(state)}" as {state.value}')
    lines.append(f"    [*] --> {State.DRAFT.value}")
    for move in moves:
        for source in move.sources:
            lines.append(f"    {source} --> {move.target} : {move.name} ({_short(move.allowed)})")
    sources = {source for move in moves for source in move.sources}
    for state in State:
        if state.value not in sources:
            lines.append(f"    {state.value} --> [*]")
    closed = ", ".join(state.value for state in State if state in CLOSED_STATES)
    lines += [
        "    classDef closed fill:#eceef4,stroke:#6b7390,color:#242c4f",
        f"    class {closed} closed",
        "```",
        "",
        "Shaded states are closed (`complaints.states.CLOSED_STATES`).",
        "",
        "## Transitions · Transiciones",
        "",
        "| transition | on the timeline | from · desde | to · hacia | who may do it · quién puede | condition "
        "| closes the case |",
        "|---|---|---|---|---|---|---|",
    ]
    for move in moves:
        froms = "<br>".join(f"`{source}`" for source in move.sources)
        condition = f"`{move.condition}`" if move.condition else ""
        declared = actions.get(move.name)
        with translation.override("en"):
            label = str(declared.label)
        closes = "yes" if declared.closes_case else ""
        lines.append(
            f"| `{move.name}` | {label} | {froms} | `{move.target}` | {_long(move.allowed)} | {condition} | {closes} |"
        )
    lines += [
        "",
        "## States · Estados",
        "",
        "| state | nombre · name | closed |",
        "|---|---|---|",
    ]
    for state in State:
        lines.append(f"| `{state.value}` | {_state_label(state)} | {'yes' if state in CLOSED_STATES else ''} |")
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Write docs/workflow.md (Mermaid state diagram and transition table) from the Complaint model."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--print", action="store_true", dest="print_only", help="Print the document instead of writing it."
        )
        parser.add_argument("--check", action="store_true", help="Fail if docs/workflow.md is out of date.")

    def handle(self, *args, **options) -> None:
        document = render_workflow()
        if options["print_only"]:
            self.stdout.write(document, ending="")
            return
        if options["check"]:
            current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
            if current != document:
                raise CommandError(f"{OUTPUT} is out of date: run `python manage.py workflow_graph`.")
            self.stdout.write(f"{OUTPUT} is up to date.")
            return
        OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        OUTPUT.write_text(document, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {OUTPUT}."))
