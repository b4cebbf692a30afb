"""The people and organisations a case involves: users and their roles, consumers, companies,
their representatives and invitations, conciliators and their calendars."""

import secrets
from datetime import time, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from parties.validators import format_cuit, format_phone


class Role(models.TextChoices):
    CONSUMER = "consumer", _("Consumer")
    REPRESENTATIVE = "representative", _("Company representative")
    OFFICER = "officer", _("Admission officer")
    CONCILIATOR = "conciliator", _("Conciliator")
    SUPERVISOR = "supervisor", _("Supervisor")
    # The office's lawyers: they receive referred cases, charge (imputación) or archive, and resolve.
    LEGAL = "legal", _("Legal directorate")
    # The authority who homologates agreements by a signed disposición (or delegates it).
    DIRECTOR = "director", _("Director")


STAFF_ROLES = frozenset({Role.OFFICER, Role.CONCILIATOR, Role.SUPERVISOR, Role.LEGAL, Role.DIRECTOR})


class Province(models.TextChoices):
    CABA = "CABA", "Ciudad Autónoma de Buenos Aires"
    BUENOS_AIRES = "BA", "Buenos Aires"
    CATAMARCA = "CT", "Catamarca"
    CHACO = "CC", "Chaco"
    CHUBUT = "CH", "Chubut"
    CORDOBA = "CB", "Córdoba"
    CORRIENTES = "CN", "Corrientes"
    ENTRE_RIOS = "ER", "Entre Ríos"
    FORMOSA = "FM", "Formosa"
    JUJUY = "JY", "Jujuy"
    LA_PAMPA = "LP", "La Pampa"
    LA_RIOJA = "LR", "La Rioja"
    MENDOZA = "MZ", "Mendoza"
    MISIONES = "MN", "Misiones"
    NEUQUEN = "NQ", "Neuquén"
    RIO_NEGRO = "RN", "Río Negro"
    SALTA = "SA", "Salta"
    SAN_JUAN = "SJ", "San Juan"
    SAN_LUIS = "SL", "San Luis"
    SANTA_CRUZ = "SC", "Santa Cruz"
    SANTA_FE = "SF", "Santa Fe"
    SANTIAGO_DEL_ESTERO = "SE", "Santiago del Estero"
    TIERRA_DEL_FUEGO = "TF", "Tierra del Fuego"
    TUCUMAN = "TM", "Tucumán"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", Role.SUPERVISOR)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in with their e-mail. `role` says which office role they hold, if any;
    `is_staff` only opens the Django admin.

    Roles outside the office add up: anyone who is not office staff may file and follow their own
    complaints, and also speaks for every company they hold an active `Representation` of. The
    stored role "representative" is kept for accounts made before roles added up; it grants
    nothing by itself (the representation does)."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CONSUMER, db_index=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # A citizen served at the desk who has no e-mail: the account's address is a placeholder that is
    # never written to, and they are reached by phone (SMS or WhatsApp, consent recorded at the desk).
    has_no_email = models.BooleanField(_("has no e-mail address"), default=False)
    # A delegate of the director for homologations (set by a director; hearings.policy reads it).
    may_homologate = models.BooleanField(_("may homologate agreements (delegate)"), default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()  # type: ignore[misc,assignment]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        # The name first: pages that load only the name columns never read the flag.
        if full_name := self.get_full_name():
            return full_name
        return gettext("Citizen without e-mail") if self.has_no_email else self.email

    @property
    def has_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def may_act_as_consumer(self) -> bool:
        """Anyone outside the office may file a complaint and act on their own cases."""
        return not self.has_staff_role

    @cached_property
    def is_representative(self) -> bool:
        """Speaks for at least one company now. Read once per request (request.user lives as
        long as the request); the services that add or revoke a representation forget it. Read with
        the companies themselves: a representative's pages scope their lists by them anyway."""
        if self.pk is None or self.has_staff_role:
            return False
        return bool(self.represented_company_ids)

    @cached_property
    def has_consumer_profile(self) -> bool:
        return self.pk is not None and ConsumerProfile.objects.filter(user_id=self.pk).exists()

    @property
    def is_consumer(self) -> bool:
        """Shown the consumer's pages: outside the office, and either speaking for no company or
        with consumer details on file (a representative who also files as a consumer)."""
        return self.may_act_as_consumer and (not self.is_representative or self.has_consumer_profile)

    @cached_property
    def represented_company_ids(self) -> list[int]:
        """The companies the user speaks for now (active representations), read once per request: a
        representative's pages scope several lists by them."""
        if self.pk is None:
            return []
        return list(Representation.objects.active().filter(user_id=self.pk).values_list("company_id", flat=True))

    def forget_party_roles(self) -> None:
        """Drop the cached answers after a representation or a profile changed."""
        for name in ("is_representative", "has_consumer_profile", "represented_company_ids"):
            self.__dict__.pop(name, None)


class ConsumerProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="consumer_profile")
    dni = models.CharField(_("DNI"), max_length=8, db_index=True)
    cuil = models.CharField(_("CUIL"), max_length=11, blank=True)
    phone = models.CharField(_("phone"), max_length=20, help_text=_("Stored in E.164, e.g. +5491123456789."))
    street_address = models.CharField(_("address"), max_length=200)
    city = models.CharField(_("city or town"), max_length=100)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    province = models.CharField(_("province"), max_length=4, choices=Province.choices)
    # E-mail is always on. SMS and WhatsApp need the person's consent, and we keep when it was given.
    sms_consent_at = models.DateTimeField(_("SMS consent given at"), null=True, blank=True)
    whatsapp_consent_at = models.DateTimeField(_("WhatsApp consent given at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("consumer profile")
        verbose_name_plural = _("consumer profiles")

    def __str__(self) -> str:
        return f"{self.user.display_name} (DNI {self.dni})"

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)

    @property
    def notify_by_sms(self) -> bool:
        return self.sms_consent_at is not None

    @property
    def notify_by_whatsapp(self) -> bool:
        return self.whatsapp_consent_at is not None


class Sector(models.TextChoices):
    """The economic sector a company is measured against (its indicators beside the sector's median)."""

    TELECOM = "telecom", _("Telecommunications, internet and pay TV")
    BANKING = "banking", _("Banks, cards and financing")
    INSURANCE = "insurance", _("Insurance")
    HEALTH = "health", _("Prepaid health plans")
    UTILITIES = "utilities", _("Electricity, gas and water")
    RETAIL = "retail", _("Shops, appliances and e-commerce")
    AUTOMOTIVE = "automotive", _("Cars and motorbikes")
    TRANSPORT = "transport", _("Transport and travel")
    TOURISM = "tourism", _("Tourism and hotels")
    HOUSING = "housing", _("Housing and construction")
    EDUCATION = "education", _("Education")
    SERVICES = "services", _("Other services")
    OTHER = "other", _("Other")


NATURAL_PERSON_CUIT_PREFIXES = frozenset({"20", "23", "24", "27"})


class Company(models.Model):
    """A provider (proveedor), keyed by its CUIT. The electronic domicile is the e-mail where formal
    notices (cédulas) are served; it stays blank until the company sets it up."""

    cuit = models.CharField(_("CUIT"), max_length=11, unique=True)
    legal_name = models.CharField(_("legal name"), max_length=200, db_index=True)
    trade_names = models.CharField(
        _("trade names"), max_length=300, blank=True, help_text=_("Brands the public knows it by, separated by commas.")
    )
    legal_address = models.CharField(_("legal address"), max_length=250, blank=True)
    sector = models.CharField(
        _("sector"), max_length=12, choices=Sector.choices, default=Sector.OTHER, db_default=Sector.OTHER
    )
    electronic_domicile = models.EmailField(_("electronic domicile"), blank=True)
    electronic_domicile_set_at = models.DateTimeField(_("electronic domicile set up at"), null=True, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["legal_name"]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.cuit_display})"

    @property
    def cuit_display(self) -> str:
        return format_cuit(self.cuit)

    @property
    def has_electronic_domicile(self) -> bool:
        return bool(self.electronic_domicile)

    @property
    def is_natural_person(self) -> bool:
        """A CUIT of a human person (prefixes 20, 23, 24, 27): a sole trader, whose name is personal
        data (Ley 25.326) and never reaches a public page or an open-data file."""
        return self.cuit[:2] in NATURAL_PERSON_CUIT_PREFIXES


class PowerStatus(models.TextChoices):
    """Where a representative's power (poder, statute) stands: only a validated one binds."""

    PENDING = "pending", _("Awaiting the office's validation")
    VALIDATED = "validated", _("Validated")
    REJECTED = "rejected", _("Rejected")


class PowerKind(models.TextChoices):
    GENERAL = "general", _("General power (poder general)")
    SPECIAL = "special", _("Special power for this kind of case (poder especial)")
    STATUTE = "statute", _("Statute and appointment of authorities (estatuto y acta)")


def power_document_upload_to(instance: object, filename: str) -> str:
    return f"powers/{secrets.token_hex(16)}.pdf"


class RepresentationQuerySet(models.QuerySet["Representation"]):
    def active(self) -> "RepresentationQuerySet":
        return self.filter(revoked_at__isnull=True)

    def binding(self) -> "RepresentationQuerySet":
        """Active, with a validated power that has not expired: may make offers, agree and confirm
        an acta."""
        today = timezone.localdate()
        return self.active().filter(
            Q(power_valid_until__isnull=True) | Q(power_valid_until__gte=today), power_status=PowerStatus.VALIDATED
        )


class Representation(models.Model):
    """A user speaking for a company (apoderado/a). Revoking keeps the row as a record."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="representations")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="representations")
    is_admin = models.BooleanField(_("company admin"), default=False)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    # The power to bind the company, validated by an officer (complaints/… powers services).
    power_kind = models.CharField(_("kind of power"), max_length=12, choices=PowerKind.choices, blank=True)
    power_document = models.FileField(_("power document"), upload_to=power_document_upload_to, blank=True)
    power_sha256 = models.CharField(max_length=64, blank=True)
    power_valid_until = models.DateField(_("power valid until"), null=True, blank=True)
    power_status = models.CharField(_("power"), max_length=12, choices=PowerStatus.choices, default=PowerStatus.PENDING)
    power_decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    power_decided_at = models.DateTimeField(_("power decided at"), null=True, blank=True)
    power_rejection_reason = models.CharField(_("why the power was rejected"), max_length=300, blank=True)

    objects = RepresentationQuerySet.as_manager()

    class Meta:
        verbose_name = _("representation")
        verbose_name_plural = _("representations")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "company"], condition=Q(revoked_at__isnull=True), name="one_active_representation"
            )
        ]
        indexes = [
            # The office's queue of powers to validate.
            models.Index(
                fields=["power_status", "created_at"],
                name="representation_power_queue",
                condition=Q(revoked_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.company.legal_name}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


def _invitation_expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)


class Invitation(models.Model):
    """An e-mailed invitation to represent a company; accepting it through signup pre-verifies
    the e-mail it was sent to."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    is_admin = models.BooleanField(_("company admin"), default=False)
    token = models.CharField(max_length=64, unique=True, default=_invitation_token, editable=False)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), default=_invitation_expiry)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["company", "email"])]

    def __str__(self) -> str:
        return f"{self.email} → {self.company.legal_name}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.cancelled_at is None and self.expires_at > timezone.now()


class ConciliatorProfile(models.Model):
    """When a conciliator works. Scheduling offers hearings only inside these hours and days."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="conciliator_profile")
    # ISO weekdays the conciliator works (1 = Monday … 7 = Sunday), e.g. "1,2,3,4,5".
    work_days = models.CharField(_("working days"), max_length=20, default="1,2,3,4,5")
    work_start = models.TimeField(_("starts at"), default=time(9, 0))
    work_end = models.TimeField(_("ends at"), default=time(15, 0))
    max_hearings_per_day = models.PositiveSmallIntegerField(_("maximum hearings a day"), default=6)

    class Meta:
        verbose_name = _("conciliator profile")
        verbose_name_plural = _("conciliator profiles")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def weekdays(self) -> list[int]:
        return [int(day) for day in self.work_days.split(",") if day.strip()]


class ConciliatorDayOff(models.Model):
    conciliator = models.ForeignKey(ConciliatorProfile, on_delete=models.CASCADE, related_name="days_off")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("day off")
        verbose_name_plural = _("days off")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["conciliator", "date"], name="one_day_off_per_date")]

    def __str__(self) -> str:
        return f"{self.conciliator} — {self.date:%Y-%m-%d}"


class NonWorkingDay(models.Model):
    """A día inhábil the office declared (an asueto, a resolution): no deadline counts it
    (parties/business_days.py). National and jurisdiction holidays come from the `holidays` package."""

    date = models.DateField(_("date"), unique=True)
    reason = models.CharField(_("reason"), max_length=200)
    # The act that declared it (e.g. "Resolución 123/2026").
    resolution = models.CharField(_("resolution"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("declared by")
    )
    created_at = models.DateTimeField(_("declared at"), auto_now_add=True)

    class Meta:
        verbose_name = _("non-working day")
        verbose_name_plural = _("non-working days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} — {self.reason}"
