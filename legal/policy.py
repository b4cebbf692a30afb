"""May this person do this to this proceeding, now? One predicate per action (parties/policy.py's
mechanism), asked by the service under the row lock, by the view and by the pages alike.

The legal directorate (Role.LEGAL) decides; the company speaks through a representative whose power
the office validated (complaints/policy.py's `power_refusal`); the legal directorate may also record
a defence or an appeal filed on paper at the office. Strangers never get here: the views load the
proceeding through `legal.selectors.proceedings_visible_to` first (a 404)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.policy import power_refusal
from parties.models import Role, User
from parties.policy import Policy, Refusal, not_now, not_you

from .errors import LegalError
from .models import Proceeding, ProceedingStatus

S = ProceedingStatus

RECEIVE = "receive"
CHARGE = "charge"
ARCHIVE = "archive"
FILE_DEFENCE = "file_defence"
RESOLVE = "resolve"
FILE_APPEAL = "file_appeal"
FINALIZE = "finalize"
DECIDE_APPEAL = "decide_appeal"
READ_DEFENCE_FILE = "read_defence_file"

POLICY = Policy(LegalError)
LEGAL_RULES = POLICY.rules
why_not = POLICY.why_not
allowed = POLICY.allowed
ensure = POLICY.ensure


def is_legal(user: User | None) -> bool:
    return user is not None and user.role == Role.LEGAL


def _status_refusal(proceeding: Proceeding) -> Refusal:
    return not_now(
        _(
            "This proceeding is now “%(status)s”, so this is no longer possible. "
            "Someone may have acted on it first: reload the page to see its current state."
        )
        % {"status": proceeding.get_status_display()}
    )


def _legal_only(user: User) -> Refusal | None:
    if not is_legal(user):
        return not_you(_("Only the legal directorate can do this."))
    return None


@POLICY.action(RECEIVE)
def _receive(user: User, proceeding: Proceeding) -> Refusal | None:
    if refusal := _legal_only(user):
        return refusal
    if proceeding.status != S.RECEIVED or proceeding.acknowledged_at is not None:
        return not_now(_("The receipt of this referral was already acknowledged."))
    return None


def _decide_on_referral(user: User, proceeding: Proceeding) -> Refusal | None:
    if refusal := _legal_only(user):
        return refusal
    if proceeding.status != S.RECEIVED:
        return _status_refusal(proceeding)
    if proceeding.acknowledged_at is None:
        return not_now(_("Acknowledge the receipt of the referral first."))
    return None


def unserved_refusal(proceeding: Proceeding) -> Refusal | None:
    """A charge or a sanction must reach the company as a formal notice: a sanction on a notice it
    never received is void. Concilia serves it on the electronic domicile; the paper flow
    (complaints/services/paper.py) serves only the complaint itself, so a company without an
    electronic domicile cannot be charged here until it has one (or the office serves it on paper
    outside the platform and the company sets up its domicile)."""
    company = proceeding.part.company
    if company is not None and company.electronic_domicile:
        return None
    return not_now(
        _(
            "%(company)s has no electronic domicile, so Concilia cannot serve it a formal notice, and a "
            "sanction on a notice the company never received is void. Serve it on paper first and ask the "
            "company to set up its electronic domicile; then charge it here."
        )
        % {"company": proceeding.company_name}
    )


@POLICY.action(CHARGE)
def _charge(user: User, proceeding: Proceeding) -> Refusal | None:
    return _decide_on_referral(user, proceeding) or unserved_refusal(proceeding)


@POLICY.action(ARCHIVE)
def _archive(user: User, proceeding: Proceeding) -> Refusal | None:
    return _decide_on_referral(user, proceeding)


def _company_side(user: User, proceeding: Proceeding) -> Refusal | None:
    """The legal directorate (a writing filed on paper), or a representative who binds the company."""
    if is_legal(user):
        return None
    if not user.is_representative:
        return not_you(_("Only a representative of the company can do this."))
    return power_refusal(user, proceeding.part)


@POLICY.action(FILE_DEFENCE)
def _file_defence(user: User, proceeding: Proceeding) -> Refusal | None:
    """The company, within the window. The directorate records one filed on paper at any time while
    the proceeding awaits it or its resolution: the service checks the filing date against the
    deadline (legal/services/moves.py)."""
    if refusal := _company_side(user, proceeding):
        return refusal
    if is_legal(user):
        if proceeding.status not in (S.CHARGED, S.AWAITING_RESOLUTION) or proceeding.defence_filed_at is not None:
            return _status_refusal(proceeding)
        return None
    if proceeding.status != S.CHARGED:
        return _status_refusal(proceeding)
    if proceeding.defence_due_at is not None and timezone.now() > proceeding.defence_due_at:
        return not_now(
            _("The deadline for the defence was %(due)s: it has passed.")
            % {"due": f"{timezone.localtime(proceeding.defence_due_at):%d/%m/%Y}"}
        )
    return None


@POLICY.action(RESOLVE)
def _resolve(user: User, proceeding: Proceeding) -> Refusal | None:
    if refusal := _legal_only(user):
        return refusal
    if proceeding.status not in (S.DEFENCE_FILED, S.AWAITING_RESOLUTION):
        return _status_refusal(proceeding)
    return None


@POLICY.action(FILE_APPEAL)
def _file_appeal(user: User, proceeding: Proceeding) -> Refusal | None:
    """As the defence: the directorate may record one filed on paper in time even after the beat made
    the sanction final for want of an appeal."""
    if refusal := _company_side(user, proceeding):
        return refusal
    if is_legal(user):
        if proceeding.status == S.SANCTIONED or proceeding.final_by_lapse:
            return None
        return _status_refusal(proceeding)
    if proceeding.status != S.SANCTIONED:
        return _status_refusal(proceeding)
    if proceeding.appeal_due_at is not None and timezone.now() > proceeding.appeal_due_at:
        return not_now(
            _("The deadline to appeal was %(due)s: it has passed.")
            % {"due": f"{timezone.localtime(proceeding.appeal_due_at):%d/%m/%Y}"}
        )
    return None


@POLICY.action(FINALIZE)
def _finalize(user: User, proceeding: Proceeding) -> Refusal | None:
    """A sanction whose appeal window passed without an appeal (the beat does it too). The window
    starts only when the resolution is served."""
    if refusal := _legal_only(user):
        return refusal
    if proceeding.status != S.SANCTIONED:
        return _status_refusal(proceeding)
    if proceeding.appeal_due_at is None:
        return not_now(_("The resolution has not been served on the company yet: the appeal window has not started."))
    if timezone.now() <= proceeding.appeal_due_at:
        return not_now(_("The appeal window is still open: the sanction is not final yet."))
    return None


@POLICY.action(DECIDE_APPEAL)
def _decide_appeal(user: User, proceeding: Proceeding) -> Refusal | None:
    """The appeal's result: the sanction confirmed, the fine reduced, or the sanction revoked."""
    if refusal := _legal_only(user):
        return refusal
    if proceeding.status != S.APPEALED:
        return _status_refusal(proceeding)
    return None


@POLICY.action(READ_DEFENCE_FILE)
def _read_defence_file(user: User, proceeding: Proceeding) -> Refusal | None:
    """The directorate, the supervisor and the company's own representatives (not the consumer)."""
    if is_legal(user) or user.role == Role.SUPERVISOR:
        return None
    if user.is_representative and proceeding.part.company_id is not None and _represents_company(user, proceeding):
        return None
    return not_you(_("Only the legal directorate and the company can read the defence."))


def _represents_company(user: User, proceeding: Proceeding) -> bool:
    from parties.models import Representation

    company_id = proceeding.part.company_id
    if company_id is None:
        return False
    return Representation.objects.active().filter(user_id=user.pk, company_id=company_id).exists()


may_receive = LEGAL_RULES[RECEIVE]
may_charge = LEGAL_RULES[CHARGE]
may_archive = LEGAL_RULES[ARCHIVE]
may_file_defence = LEGAL_RULES[FILE_DEFENCE]
may_resolve = LEGAL_RULES[RESOLVE]
may_file_appeal = LEGAL_RULES[FILE_APPEAL]
may_finalize = LEGAL_RULES[FINALIZE]
may_decide_appeal = LEGAL_RULES[DECIDE_APPEAL]
