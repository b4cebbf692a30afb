"""Is this office competent for a case, and if not, which authority is?

The office hears the provinces in settings.OFFICE_TERRITORY (parties.models.Province codes; CABA by
default). A case outside them is not rejected: it is referred to the competent authority, taken from
the list below (settings.COMPETENT_AUTHORITIES overrides it: a list of {"code", "name", "website"}).

The names are deliberately generic where the office's exact name varies over time; the website is
left blank where we are not sure of it, and the consumer is then pointed to the national authority's
site, which lists every local office."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import CaseCompany, Complaint
from parties.models import Province

NATIONAL = "national"
NATIONAL_WEBSITE = "https://www.argentina.gob.ar/defensadelconsumidor"


@dataclass(frozen=True)
class Authority:
    code: str  # a Province code, or NATIONAL
    name: str
    website: str = ""


def _default_authorities() -> list[Authority]:
    local = [
        Authority(
            Province.CABA,
            "Dirección General de Defensa y Protección al Consumidor de la Ciudad Autónoma de Buenos Aires",
        ),
        *(
            Authority(code, f"Dirección de Defensa del Consumidor de la Provincia de {label}")
            for code, label in Province.choices
            if code != Province.CABA
        ),
    ]
    return [Authority(NATIONAL, "Dirección Nacional de Defensa del Consumidor", NATIONAL_WEBSITE), *local]


def authorities() -> list[Authority]:
    """Every authority a case may be referred to, the national one first."""
    configured = getattr(settings, "COMPETENT_AUTHORITIES", None)
    if configured:
        return [Authority(item["code"], item["name"], item.get("website", "")) for item in configured]
    return _default_authorities()


def authority(code: str) -> Authority | None:
    return next((item for item in authorities() if item.code == code), None)


def authority_choices() -> list[tuple[str, str]]:
    return [(item.code, item.name) for item in authorities()]


@dataclass(frozen=True)
class Competence:
    competent: bool
    # Where the case seems to belong (a Province code), or "" when nothing tells.
    province: str
    # The authority the officer is offered when the office is not competent.
    suggested: Authority | None
    # Why, for the officer: already translated.
    reason: str


def competence_of(case: Complaint, parts: list[CaseCompany] | None = None) -> Competence:
    """The one rule for competence, asked by the admission panel and by the referral form.

    Local consumer-defence offices apply the national law within their own territory (LDC arts. 41
    and 42: the national authority and the provinces and the City act concurrently, each in its
    jurisdiction). So the office hears a case when the consumer relationship touches its territory:

    - the purchase or contract was made in it; or
    - it was made online or by phone (no place of its own), and the consumer lives in it: the
      consumer's domicile is where a distance contract is deemed made for the consumer's protection;
    - or any company claimed against is domiciled in it (each may be claimed where it lives).

    When the place of purchase is unknown (cases filed before the question was asked) the
    consumer's domicile stands in for it. Otherwise the case belongs to the authority of the place of
    purchase (or of the consumer, for distance sales); when no province is known at all, to the
    national authority."""
    territory = set(settings.OFFICE_TERRITORY)
    place = case.consumer_province if (case.purchase_online or not case.purchase_province) else case.purchase_province
    if parts is None:
        parts = list(CaseCompany.objects.filter(complaint_id=case.pk).order_by("position"))
    if place and place in territory:
        return Competence(True, place, None, str(_("The purchase or contract was made in the office's territory.")))
    if any(part.province in territory for part in parts if part.province):
        reason = _("A company claimed against is domiciled in the office's territory.")
        return Competence(True, place, None, str(reason))
    if not place and not any(part.province for part in parts):
        return Competence(True, "", None, str(_("Nothing in the case places it outside the office's territory.")))
    suggested = (authority(place) if place else None) or authority(NATIONAL)
    where = Province(place).label if place in Province.values else _("an unknown province")
    if case.purchase_online or not case.purchase_province:
        reason = _(
            "The purchase was made online or by phone and the consumer lives in %(where)s, and no company "
            "claimed against is domiciled in the office's territory."
        )
    else:
        reason = _(
            "The purchase or contract was made in %(where)s, and no company claimed against is domiciled in "
            "the office's territory."
        )
    return Competence(False, place, suggested, str(reason % {"where": where}))


def prescription_warning(case: Complaint, today: date | None = None) -> bool:
    """The purchase is older than the prescription period (LDC art. 50: three years). Only a warning:
    the period can be interrupted, and the officer judges it."""
    if case.purchase_date is None:
        return False
    today = today or timezone.localdate()
    years = settings.PRESCRIPTION_YEARS
    try:
        limit = case.purchase_date.replace(year=case.purchase_date.year + years)
    except ValueError:  # 29 February
        limit = case.purchase_date.replace(year=case.purchase_date.year + years, day=28)
    return today > limit
