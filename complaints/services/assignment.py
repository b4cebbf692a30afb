"""A company's own handling of the cases served on it: who of its representatives is in charge of
each (`CaseCompany.assignee`), the rules that choose one when a case is served, and the company's
acknowledgement that it received the case.

Who hears of a case on the company's side is decided here, once (`company_recipients`): for each
served part, its assignee while they are still an active representative of that company, else every
active representative (as before assignments existed); a deactivated account is never told. A
notice asking for a move that needs a validated power (an acta to confirm, the answer to an offer)
also reaches the representatives holding one when the assignee does not (`binding=True`). Every
ordinary notice of the case, the hearings, the legal proceeding and the oversight clocks asks it.
The formal notices do not: a cédula goes to the company's electronic domicile and every
representative's inbox whatever the assignment (notifications/services/formal_notices.py), as it is
the company's legal receipt.

Assigning is the company's internal business: no case event (the consumer and the office need not
know who handles it at the company), but the assignee is told. Acknowledging is a case event
(`company_acknowledged`), part of the record.

Who may do what is asked of complaints/policy.py (ASSIGN_CASE, ACKNOWLEDGE_CASE,
MANAGE_ASSIGNMENT_RULES), under the row lock, like every service."""

import logging
import unicodedata
from collections.abc import Collection, Iterable, Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import actions, policy
from complaints.errors import CaseError
from complaints.models import AssignmentRule, CaseCompany, Complaint
from complaints.services import case_url, lock_case, record_event
from complaints.services.parts import is_multi_company
from notifications.models import Channel
from notifications.services import notify
from parties.models import Company, Province, Representation, User

logger = logging.getLogger(__name__)

# The company desk's list of the company's cases (companydesk/urls.py), filtered to the reader's own,
# linked from the notice of a bulk assignment; without it the notice links to the site's home.
DESK_CASES_URL_NAME = "companydesk_cases"
# A selection larger than this is better acknowledged in the background
# (complaints.tasks_assignment.acknowledge_parts), each chunk of ACKNOWLEDGE_CHUNK its own transaction.
ACKNOWLEDGE_INLINE_MAX = 100
ACKNOWLEDGE_CHUNK = 200

PartIds = Iterable[int | str] | QuerySet


# --- Who on the company's side hears of a case ----------------------------------------------------


def company_recipient_pairs(
    case: Complaint,
    *,
    part_ids: Sequence[int] | None = None,
    served_only: bool = True,
    binding: bool = False,
    including: Collection[int] = (),
) -> list[tuple[User, CaseCompany]]:
    """(person, part) for each company part of the case (only `part_ids`, when given): the part's
    assignee while they are an active representative of its company with an active account, else
    every active representative of that company with an active account. Only served parts (a proven
    notice), unless `served_only` is False. A person representing two parts appears once per part.

    `binding`: the notice asks the company for a move only a validated, current power may make
    (confirm an acta, answer a counter-offer with a new offer): when the assignee cannot bind the
    company, the company's representatives who can are told too (policy.power_is_current, the rule
    of policy.power_refusal). `including`: these people too (e.g. whoever made the offer answered),
    while they are active representatives of the part's company.

    Two queries, whatever the number of parts and representatives: the parts, then their companies'
    active representations with their users (and the power fields `binding` reads)."""
    parts_query = CaseCompany.objects.filter(complaint_id=case.pk, company__isnull=False)
    if served_only:
        parts_query = parts_query.filter(notified_at__isnull=False)
    if part_ids is not None:
        parts_query = parts_query.filter(pk__in=list(part_ids))
    parts = list(parts_query.select_related("company").order_by("position", "pk"))
    if not parts:
        return []
    # Per company, each person once with their latest active representation (as power_refusal reads it).
    people: dict[int, dict[int, tuple[User, Representation]]] = {}
    for representation in (
        Representation.objects.active()
        .filter(company_id__in={part.company_id for part in parts}, user__is_active=True)
        .select_related("user")
        .order_by("company_id", "pk")
    ):
        people.setdefault(representation.company_id, {})[representation.user_id] = (representation.user, representation)
    pairs: list[tuple[User, CaseCompany]] = []
    for part in parts:
        everyone = people.get(part.company_id, {})  # type: ignore[arg-type]  # company__isnull=False above
        assigned = everyone.get(part.assignee_id) if part.assignee_id is not None else None
        if assigned is None:
            chosen = list(everyone)
        else:
            chosen = [part.assignee_id]  # type: ignore[list-item]  # not None here
            if binding and not policy.power_is_current(assigned[1]):
                chosen += [pk for pk, (_user, rep) in everyone.items() if policy.power_is_current(rep)]
        chosen += [pk for pk in including if pk in everyone]
        pairs += [(everyone[pk][0], part) for pk in dict.fromkeys(chosen)]
    return pairs


def company_recipients(
    case: Complaint,
    *,
    part_ids: Sequence[int] | None = None,
    served_only: bool = True,
    binding: bool = False,
    including: Collection[int] = (),
) -> list[User]:
    """The people on the companies' side who hear of the case (`company_recipient_pairs`), each once,
    in the order of the parts."""
    pairs = company_recipient_pairs(
        case, part_ids=part_ids, served_only=served_only, binding=binding, including=including
    )
    return list({user.pk: user for user, _part in pairs}.values())


# --- Assigning a case to a representative ---------------------------------------------------------


def _lock_part(pk: int) -> CaseCompany:
    return (
        CaseCompany.objects.select_for_update(of=("self",), no_key=True)
        .select_related("company", "complaint")
        .get(pk=pk)
    )


def _lock_company(company: Company | int) -> Company:
    """Serialises a company's bulk actions and rule edits (FOR NO KEY UPDATE: the foreign-key checks of
    other transactions that point at the company still pass)."""
    pk = company.pk if isinstance(company, Company) else company
    return Company.objects.select_for_update(no_key=True).get(pk=pk)


def _ensure_assignable(assignee: User, company: Company | int) -> None:
    refusal = policy.assignee_refusal(assignee, company)
    if refusal is not None:
        raise CaseError(refusal.message)


def _desk_url(company: Company, query: str) -> str | None:
    try:
        return settings.SITE_URL + reverse(DESK_CASES_URL_NAME, args=[company.pk]) + f"?{query}"
    except NoReverseMatch:
        return None


def _tell_assignee(
    assignee: User,
    *,
    company_name: str,
    key: str,
    by: User | None,
    case: Complaint | None = None,
    count: int = 0,
    cases_url: str | None = None,
) -> None:
    context: dict[str, object] = {"company_name": company_name}
    if by is not None:
        context["assigned_by"] = by.display_name
    if case is not None:
        context |= {"case_number": case.number or "", "case_url": case_url(case)}
    if count:
        context["count"] = count
    if cases_url:
        context["cases_url"] = cases_url
    notify(
        recipient=assignee,
        event="case_assigned",
        context=context,
        idempotency_key=key,
        case_number=case.number or "" if case is not None else "",
    )


def part_assign(*, part: CaseCompany, assignee: User | None, by: User) -> CaseCompany:
    """An administrator of the company gives its served part of a case to one of its active
    representatives (None: to nobody, so every representative hears of it again). The assignee is
    told, unless they assigned it to themselves. Giving it to whoever already has it changes nothing
    and tells nobody (a second click)."""
    with transaction.atomic():
        locked = _lock_part(part.pk)
        policy.ensure(policy.ASSIGN_CASE, by, locked)
        if assignee is not None:
            _ensure_assignable(assignee, locked.company_id)  # type: ignore[arg-type]  # a served part has one
        if locked.assignee_id == (assignee.pk if assignee is not None else None):
            return locked
        locked.assignee = assignee
        locked.assigned_at = timezone.now() if assignee is not None else None
        locked.save(update_fields=["assignee", "assigned_at"])
        if assignee is not None and assignee.pk != by.pk:
            assert locked.assigned_at is not None
            _tell_assignee(
                assignee,
                company_name=locked.display_name,
                key=f"part:{locked.pk}:assigned:{locked.assigned_at.isoformat()}",
                by=by,
                case=locked.complaint,
            )
    return locked


def _selection(company: Company, part_ids: PartIds) -> QuerySet[CaseCompany]:
    """The selected parts, refused as a whole unless every one is a served part of `company` (a
    stranger's id, or a case not yet served, in the request). `part_ids` may be a list of ids or a
    queryset of them (the page's "all matching this filter")."""
    if isinstance(part_ids, QuerySet):
        ids: QuerySet | list[int] = part_ids
        expected = CaseCompany.objects.filter(pk__in=part_ids).count()
    else:
        try:
            unique = sorted({int(pk) for pk in part_ids})
        except (TypeError, ValueError):
            raise CaseError(_("The selection is not valid: reload the list and select the cases again.")) from None
        ids, expected = unique, len(unique)
    if not expected:
        raise CaseError(_("Select at least one case."))
    selection = CaseCompany.objects.filter(pk__in=ids, company_id=company.pk, notified_at__isnull=False)
    if selection.count() != expected:
        raise CaseError(
            _("Some of the selected cases are not cases served on %(company)s: reload the list and select again.")
            % {"company": company.legal_name}
        )
    return selection


def parts_assign_bulk(*, company: Company, part_ids: PartIds, assignee: User | None, by: User) -> int:
    """Give a selection of the company's served cases to one representative (or to nobody) in one
    UPDATE; returns how many changed hands. The assignee is told once, with the count."""
    with transaction.atomic():
        locked = _lock_company(company)
        policy.ensure(policy.ASSIGN_CASE, by, locked)
        if assignee is not None:
            _ensure_assignable(assignee, locked)
        selection = _selection(locked, part_ids)
        now = timezone.now()
        if assignee is not None:
            changing = selection.exclude(assignee_id=assignee.pk)
        else:
            changing = selection.filter(assignee__isnull=False)
        changed = changing.update(assignee=assignee, assigned_at=now if assignee is not None else None)
        if changed and assignee is not None and assignee.pk != by.pk:
            _tell_assignee(
                assignee,
                company_name=locked.legal_name,
                key=f"company:{locked.pk}:assigned:{now.isoformat()}",
                by=by,
                count=changed,
                cases_url=_desk_url(locked, "assigned=me"),
            )
    return changed


# --- Acknowledging receipt ------------------------------------------------------------------------


def tell_not_acknowledged(person: User, *, company: Company, count: int, total: int, key: str) -> None:
    """In the inbox of whoever asked for a background acknowledgement (complaints.tasks_assignment):
    `count` of the `total` cases could not be acknowledged. `key` names the request (once per request,
    whatever the retries)."""
    context: dict[str, object] = {"company_name": company.legal_name, "count": count, "total": total}
    if url := _desk_url(company, "acknowledged=no"):
        context["cases_url"] = url
    notify(
        recipient=person,
        event="cases_not_acknowledged",
        context=context,
        idempotency_key=f"company:{company.pk}:acknowledge:{key}",
        channels=[Channel.INBOX],
    )


def _acknowledge(case: Complaint, part: CaseCompany, *, by: User, multi: bool) -> bool:
    """Under the case's and the part's locks. False when it was already acknowledged (a no-op)."""
    if part.acknowledged_at is not None:
        return False
    part.acknowledged_at, part.acknowledged_by = timezone.now(), by
    part.save(update_fields=["acknowledged_at", "acknowledged_by"])
    record_event(case=case, action=actions.COMPANY_ACKNOWLEDGED.code, by=by, reason=part.display_name if multi else "")
    return True


def part_acknowledge(*, part: CaseCompany, by: User) -> CaseCompany:
    """A representative of the company acknowledges receiving its served part of the case: an event
    in the case's record (naming the company, in a case of several). Twice is a no-op, not an error."""
    with transaction.atomic():
        case = lock_case(part.complaint_id)
        locked = _lock_part(part.pk)
        locked.complaint = case
        policy.ensure(policy.ACKNOWLEDGE_CASE, by, locked)
        _acknowledge(case, locked, by=by, multi=is_multi_company(case))
    return locked


def parts_acknowledge_bulk(*, company: Company, part_ids: PartIds, by: User) -> int:
    """Acknowledge a selection of the company's served cases in one transaction, each case with its
    own event; those already acknowledged are skipped. Returns how many were acknowledged now. For a
    large selection the page calls complaints.tasks_assignment.acknowledge_parts instead (chunks)."""
    with transaction.atomic():
        locked_company = _lock_company(company)
        policy.ensure(policy.ACKNOWLEDGE_CASE, by, locked_company)
        pending = list(
            _selection(locked_company, part_ids)
            .filter(acknowledged_at__isnull=True)
            .order_by("complaint_id", "pk")  # one lock order: no deadlock with another bulk action
            .values_list("pk", "complaint_id")
        )
        case_ids = {case_pk for _pk, case_pk in pending}
        multi = {
            row["complaint_id"]
            for row in CaseCompany.objects.filter(complaint_id__in=case_ids)
            .values("complaint_id")
            .annotate(parts=Count("pk"))
            .filter(parts__gt=1)
        }
        done = 0
        for part_pk, case_pk in pending:
            case = lock_case(case_pk)
            part = _lock_part(part_pk)
            part.complaint = case
            done += _acknowledge(case, part, by=by, multi=case_pk in multi)
    return done


# --- The company's assignment rules ---------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower-cased, without accents, spaces collapsed: "Heladera  NO FROST" ~ "heladera no frost"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.casefold().split())


def rule_matches(rule: AssignmentRule, *, province: str, product: str) -> bool:
    if rule.province and rule.province != province:
        return False
    return not rule.product_contains or _fold(rule.product_contains) in _fold(product)


def first_matching_rule(
    rules: Sequence[AssignmentRule], *, province: str, product: str, active_ids: set[int]
) -> AssignmentRule | None:
    """The first rule, by position, that matches and whose assignee is still one of the company's
    active representatives (a rule whose assignee left is skipped, not an error)."""
    return next(
        (
            rule
            for rule in rules
            if rule.assignee_id in active_ids and rule_matches(rule, province=province, product=product)
        ),
        None,
    )


def assignment_rules_of(company: Company | int) -> list[AssignmentRule]:
    """The company's rules in order, each with `assignee_active` (False: it is skipped until changed).
    Two queries."""
    company_id = company.pk if isinstance(company, Company) else company
    rules = list(
        AssignmentRule.objects.filter(company_id=company_id).select_related("assignee").order_by("position", "pk")
    )
    active = _active_among(company_id, {rule.assignee_id for rule in rules})
    for rule in rules:
        rule.assignee_active = rule.assignee_id in active  # type: ignore[attr-defined]
    return rules


def _active_among(company_id: int, user_ids: set[int]) -> set[int]:
    if not user_ids:
        return set()
    return set(policy.assignable_representatives(company_id).filter(pk__in=user_ids).values_list("pk", flat=True))


def apply_assignment_rules(part: CaseCompany, *, case: Complaint | None = None) -> User | None:
    """When a part is served (complaints/services/serving.py, paper.py), under the case's lock: give it
    to the assignee of the company's first matching rule, and tell them. A part already assigned
    keeps its assignee. Matching reads the consumer's province and the product of the case; the
    company's rules and its active representatives are loaded once (two queries), whatever their
    number. Returns the assignee, or None."""
    if part.company_id is None or part.assignee_id is not None:
        return None
    rules = list(
        AssignmentRule.objects.filter(company_id=part.company_id).select_related("assignee").order_by("position", "pk")
    )
    if not rules:
        return None
    case = case or part.complaint
    rule = first_matching_rule(
        rules,
        province=case.consumer_province,
        product=case.product,
        active_ids=_active_among(part.company_id, {rule.assignee_id for rule in rules}),
    )
    if rule is None:
        return None
    now = timezone.now()
    if not CaseCompany.objects.filter(pk=part.pk, assignee__isnull=True).update(
        assignee=rule.assignee, assigned_at=now
    ):
        return None
    part.assignee, part.assigned_at = rule.assignee, now
    _tell_assignee(
        rule.assignee, company_name=part.display_name, key=f"part:{part.pk}:assigned:rule", by=None, case=case
    )
    return rule.assignee


def _clean_rule(
    company: Company, *, assignee: User | None, province: str, product_contains: str
) -> tuple[User, str, str]:
    province = (province or "").strip()
    if province and province not in Province.values:
        raise CaseError(_("Choose a province from the list."))
    product = " ".join((product_contains or "").split())
    limit = AssignmentRule._meta.get_field("product_contains").max_length
    if limit is not None and len(product) > limit:
        raise CaseError(_("Keep the words about the product under %(limit)s characters.") % {"limit": limit})
    if assignee is None:
        raise CaseError(_("Choose the representative the rule gives the cases to."))
    _ensure_assignable(assignee, company)
    return assignee, province, product


def _locked_rule(rule: AssignmentRule) -> tuple[Company, AssignmentRule | None]:
    """The rule's company locked, then the rule as it is now (None: deleted meanwhile)."""
    company = _lock_company(rule.company_id)
    return company, AssignmentRule.objects.filter(pk=rule.pk, company_id=company.pk).first()


def _renumber(company_id: int, ordered: list[AssignmentRule]) -> None:
    changed = []
    for position, rule in enumerate(ordered, start=1):
        if rule.position != position:
            rule.position = position
            changed.append(rule)
    AssignmentRule.objects.bulk_update(changed, ["position"])


def assignment_rule_create(
    *, company: Company, assignee: User | None, province: str = "", product_contains: str = "", by: User
) -> AssignmentRule:
    """A new rule, last in the company's order."""
    with transaction.atomic():
        locked = _lock_company(company)
        policy.ensure(policy.MANAGE_ASSIGNMENT_RULES, by, locked)
        assignee, province, product = _clean_rule(
            locked, assignee=assignee, province=province, product_contains=product_contains
        )
        last = AssignmentRule.objects.filter(company_id=locked.pk).aggregate(last=Max("position"))["last"] or 0
        return AssignmentRule.objects.create(
            company=locked,
            position=last + 1,
            province=province,
            product_contains=product,
            assignee=assignee,
            created_by=by,
        )


def assignment_rule_update(
    *, rule: AssignmentRule, assignee: User | None, province: str = "", product_contains: str = "", by: User
) -> AssignmentRule:
    with transaction.atomic():
        company, current = _locked_rule(rule)
        policy.ensure(policy.MANAGE_ASSIGNMENT_RULES, by, company)
        if current is None:
            raise CaseError(_("This rule was deleted meanwhile: reload the page."))
        current.assignee, current.province, current.product_contains = _clean_rule(
            company, assignee=assignee, province=province, product_contains=product_contains
        )
        current.save(update_fields=["province", "product_contains", "assignee"])
    return current


def assignment_rule_delete(*, rule: AssignmentRule, by: User) -> None:
    """Delete the rule; the ones after it move up. Deleting one already gone is a no-op (a second click)."""
    with transaction.atomic():
        company, current = _locked_rule(rule)
        policy.ensure(policy.MANAGE_ASSIGNMENT_RULES, by, company)
        if current is None:
            return
        current.delete()
        _renumber(company.pk, list(AssignmentRule.objects.filter(company_id=company.pk).order_by("position", "pk")))


def assignment_rule_move(*, rule: AssignmentRule, to_position: int, by: User) -> AssignmentRule:
    """Put the rule at `to_position` (1 is first; out-of-range positions go to the ends); the others
    keep their order around it. Up is `rule.position - 1`, down `rule.position + 1`."""
    with transaction.atomic():
        company, current = _locked_rule(rule)
        policy.ensure(policy.MANAGE_ASSIGNMENT_RULES, by, company)
        if current is None:
            raise CaseError(_("This rule was deleted meanwhile: reload the page."))
        ordered = [
            other
            for other in AssignmentRule.objects.filter(company_id=company.pk).order_by("position", "pk")
            if other.pk != current.pk
        ]
        index = min(max(int(to_position), 1), len(ordered) + 1) - 1
        ordered.insert(index, current)
        _renumber(company.pk, ordered)
    return current
