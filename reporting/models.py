"""The office measures itself: satisfaction surveys, one fact row per case and company, and the
summary tables that every indicator reads (refreshed by Celery beat, reporting/refresh.py).

Indicators never load cases: they add up `MonthlyFigure` rows (one filter or none), `PairFigure`
rows (two filters), or, for three filters or more, aggregate `CaseFact` in SQL. A stage's duration
is counted in business days of the office's calendar when the fact row is built
(reporting/facts.py)."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models import CaseCompany, Complaint
from parties.models import Company, Sector


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class Survey(models.Model):
    """One short survey per party per closed case: the consumer, and each company (its part)."""

    class Respondent(models.TextChoices):
        CONSUMER = "consumer", _("Consumer")
        COMPANY = "company", _("Company")

    class Solved(models.TextChoices):
        YES = "yes", _("Yes")
        PARTLY = "partly", _("Partly")
        NO = "no", _("No")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="surveys", verbose_name=_("case"))
    respondent = models.CharField(_("respondent"), max_length=8, choices=Respondent.choices)
    part = models.ForeignKey(
        CaseCompany, on_delete=models.CASCADE, null=True, blank=True, related_name="surveys", verbose_name=_("company")
    )
    # Part of the signed link: a new nonce makes every earlier link for this survey dead.
    nonce = models.CharField(max_length=32, default=new_nonce, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    satisfaction = models.PositiveSmallIntegerField(_("overall satisfaction"), null=True, blank=True)
    solved = models.CharField(_("was the problem solved?"), max_length=8, choices=Solved.choices, blank=True)
    would_use_again = models.BooleanField(_("would you use the service again?"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"], condition=Q(respondent="consumer"), name="survey_one_per_consumer"
            ),
            models.UniqueConstraint(fields=["part"], condition=Q(part__isnull=False), name="survey_one_per_part"),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="survey_satisfaction_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(respondent="consumer", part__isnull=True) | Q(respondent="company", part__isnull=False),
                name="survey_company_has_part",
            ),
        ]
        indexes = [
            # The reminder job: sent, unanswered, not yet reminded.
            models.Index(
                fields=["sent_at"],
                name="survey_to_remind",
                condition=Q(answered_at__isnull=True, reminded_at__isnull=True),
            ),
            # The refresh: answers since the last run.
            models.Index(fields=["answered_at"], name="survey_answered", condition=Q(answered_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_respondent_display()} · {self.complaint_id}"


class Outcome(models.TextChoices):
    """How a company's part of a case ended, as the indicators and the open data name it."""

    PENDING = "", _("No outcome yet")
    REJECTED = "rejected", _("Rejected at admission")
    WITHDRAWN = "withdrawn", _("Withdrawn by the consumer")
    REFERRED_OUT = "referred_out", _("Sent to the competent authority")
    AGREEMENT_BY_OFFER = "agreement_offer", _("Agreement by an accepted offer, before the hearing")
    AGREEMENT_AT_HEARING = "agreement_hearing", _("Agreement at the hearing")
    NO_AGREEMENT = "no_agreement", _("No agreement")
    COMPANY_ABSENT = "company_absent", _("Company absent")
    CONSUMER_ABSENT = "consumer_absent", _("Consumer absent")
    # Sent to the legal directorate before any hearing outcome (e.g. served on paper, no domicile set up).
    REFERRED = "referred", _("Referred to the legal directorate before a hearing")
    ARCHIVED = "archived", _("Archived")


class Stage(models.TextChoices):
    """The stages a case goes through, each measured in business days (reporting/facts.py)."""

    ADMISSION = "admission", _("Filing to admission")
    SERVICE = "service", _("Admission to service on the company")
    FIRST_HEARING = "first_hearing", _("Service to the first hearing")
    OUTCOME = "outcome", _("First hearing to the outcome")
    COMPLIANCE = "compliance", _("Agreement to compliance")


class CaseFact(models.Model):
    """One row per case and company (its part), rebuilt from the case's record when the case moves.
    Case-level columns repeat on each part; `lead` marks the one row that counts the case once."""

    part = models.OneToOneField(CaseCompany, on_delete=models.CASCADE, primary_key=True, related_name="fact")
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    lead = models.BooleanField(default=True)
    # A company that is a human person (a sole trader): never named in public (Company.is_natural_person).
    natural_person = models.BooleanField(default=False)
    filed_on = models.DateField()
    filed_month = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    closed_month = models.DateField(null=True, blank=True)
    province = models.CharField(max_length=4, blank=True)
    channel = models.CharField(max_length=12, blank=True)
    vulnerable = models.BooleanField(default=False)
    sector = models.CharField(max_length=12, choices=Sector.choices, default=Sector.OTHER)
    claim_type = models.CharField(max_length=12, blank=True)
    conciliator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=24)
    part_status = models.CharField(max_length=16, blank=True)
    closed = models.BooleanField(default=False)
    served = models.BooleanField(default=False)
    # The company answered in writing or with an offer (Brazil's "share answered").
    answered = models.BooleanField(default=False)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    # Whether an agreement was honoured: null while it is not yet due or answered.
    complied = models.BooleanField(null=True, blank=True)
    referred = models.BooleanField(default=False)
    days_answer = models.PositiveSmallIntegerField(null=True, blank=True)
    days_admission = models.PositiveSmallIntegerField(null=True, blank=True)
    days_service = models.PositiveSmallIntegerField(null=True, blank=True)
    days_first_hearing = models.PositiveSmallIntegerField(null=True, blank=True)
    days_outcome = models.PositiveSmallIntegerField(null=True, blank=True)
    days_compliance = models.PositiveSmallIntegerField(null=True, blank=True)
    days_resolution = models.PositiveSmallIntegerField(null=True, blank=True)
    hearings_held = models.PositiveSmallIntegerField(default=0)
    consumer_absences = models.PositiveSmallIntegerField(default=0)
    company_absences = models.PositiveSmallIntegerField(default=0)
    adjournments = models.PositiveSmallIntegerField(default=0)
    # The case as a whole (the same on every part's row; the office-wide figures read them on the lead
    # row, which counts the case once): closed once every company's part has ended, on the day the
    # last one did; filing to that day in business days; the case's hearings at which any company was
    # absent. The columns above without `case_` are this company's part's own (a company's figures,
    # the open data).
    case_closed = models.BooleanField(default=False)
    case_closed_on = models.DateField(null=True, blank=True)
    case_closed_month = models.DateField(null=True, blank=True)
    case_days_resolution = models.PositiveSmallIntegerField(null=True, blank=True)
    case_company_absences = models.PositiveSmallIntegerField(default=0)
    consumer_satisfaction = models.PositiveSmallIntegerField(null=True, blank=True)
    consumer_solved = models.CharField(max_length=8, choices=Survey.Solved.choices, blank=True)
    consumer_would_return = models.BooleanField(null=True, blank=True)
    # This part's company's own survey answer (satisfaction is required: set once it answered).
    company_satisfaction = models.PositiveSmallIntegerField(null=True, blank=True)
    company_solved = models.CharField(max_length=8, choices=Survey.Solved.choices, blank=True)
    company_would_return = models.BooleanField(null=True, blank=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["filed_month"], name="casefact_month"),
            models.Index(fields=["company", "filed_month"], name="casefact_company_month"),
            models.Index(fields=["conciliator", "filed_month"], name="casefact_conciliator_month"),
            models.Index(fields=["province", "filed_month"], name="casefact_province_month"),
            models.Index(fields=["sector", "filed_month"], name="casefact_sector_month"),
            # Three filters or more (indicators._from_facts): the period's rows, every low-cardinality
            # filter checked in the index (a few MB: the keys repeat, and btree deduplicates them), so
            # only the rows chosen are read from the table.
            models.Index(
                fields=["filed_month", "province", "sector", "channel", "vulnerable", "conciliator", "lead"],
                name="casefact_month_dims",
            ),
            # The open data: every closed case, month by month.
            models.Index(fields=["closed_month", "part"], name="casefact_closed_month", condition=Q(closed=True)),
            # The companies' survey answers (aggregate.SURVEY_COUNTERS): a few rows among all.
            models.Index(
                fields=["filed_month"],
                name="casefact_company_answered",
                condition=Q(company_satisfaction__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"fact {self.part_id}"


class Dimension(models.TextChoices):
    ALL = "all", _("All cases")
    PROVINCE = "province", _("Province")
    CHANNEL = "channel", _("Channel")
    SECTOR = "sector", _("Sector")
    VULNERABLE = "vulnerable", _("Hipervulnerable consumers")
    CONCILIATOR = "conciliator", _("Conciliator")
    COMPANY = "company", _("Company")


class FigureCounters(models.Model):
    """What a summary row counts for its group of cases in a month of filing: counters that add up
    across months in SQL; `stage_days`, per stage, how many cases took each number of business days,
    so medians and 90th percentiles are exact from a handful of rows; `states`, the cases' states."""

    filed = models.PositiveIntegerField(default=0)
    admitted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    served = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    # Parts (or cases) with an outcome: the denominator of the outcome rates.
    with_outcome = models.PositiveIntegerField(default=0)
    agreements_offer = models.PositiveIntegerField(default=0)
    agreements_hearing = models.PositiveIntegerField(default=0)
    no_agreement = models.PositiveIntegerField(default=0)
    company_absent = models.PositiveIntegerField(default=0)
    consumer_absent = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    referred = models.PositiveIntegerField(default=0)
    # Agreements whose compliance is settled (complied or breached), and those complied.
    compliance_settled = models.PositiveIntegerField(default=0)
    complied = models.PositiveIntegerField(default=0)
    hearings_held = models.PositiveIntegerField(default=0)
    consumer_absences = models.PositiveIntegerField(default=0)
    company_absences = models.PositiveIntegerField(default=0)
    adjournments = models.PositiveIntegerField(default=0)
    satisfaction_sum = models.PositiveIntegerField(default=0)
    satisfaction_count = models.PositiveIntegerField(default=0)
    solved_yes = models.PositiveIntegerField(default=0)
    solved_partly = models.PositiveIntegerField(default=0)
    solved_count = models.PositiveIntegerField(default=0)
    would_return_yes = models.PositiveIntegerField(default=0)
    would_return_count = models.PositiveIntegerField(default=0)
    # The companies' survey answers: every company's of the cases counted (reporting/aggregate.py
    # SURVEY_COUNTERS), even on rows that count each case once.
    company_satisfaction_sum = models.PositiveIntegerField(default=0)
    company_satisfaction_count = models.PositiveIntegerField(default=0)
    company_solved_yes = models.PositiveIntegerField(default=0)
    company_solved_count = models.PositiveIntegerField(default=0)
    company_would_return_yes = models.PositiveIntegerField(default=0)
    company_would_return_count = models.PositiveIntegerField(default=0)
    stage_days = models.JSONField(default=dict)
    # The cases' current states: {"state": count} (the dashboard's "cases by state").
    states = models.JSONField(default=dict)

    class Meta:
        abstract = True


class MonthlyFigure(FigureCounters):
    """The cube: for each month of filing, one row per value of one dimension (all cases, a
    province, a channel…), optionally broken down by a second one (`by_dim`: conciliator or channel).
    Counters add up across months in SQL; `stage_days` holds, per stage, how many cases took each
    number of business days, so medians and 90th percentiles are exact from a handful of rows."""

    month = models.DateField()
    dim = models.CharField(max_length=12, choices=Dimension.choices)
    key = models.CharField(max_length=24, blank=True)
    by_dim = models.CharField(max_length=12, blank=True)
    by_key = models.CharField(max_length=24, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dim", "key", "by_dim", "by_key", "month"], name="monthlyfigure_unique")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.dim}={self.key} {self.by_dim}={self.by_key}"


class PairFigure(FigureCounters):
    """The cube of two filters at once: for each month of filing, one row per pair of values of two
    dimensions (`dim` before `dim2` in the dashboard's order of filters: province, company, sector,
    channel, conciliator, hipervulnerable), with every counter, stage histogram and state, and the
    same broken down by conciliator and by channel (`by_dim`; those rows keep their counters and the
    resolution histogram only, as the cube's). Only the combinations that occur have rows, so a
    company's pairs are bounded by its own cases. Written by the same refresh as the cube
    (reporting/refresh.py); read by `indicators.figures` when exactly two filters are chosen."""

    month = models.DateField()
    dim = models.CharField(max_length=12, choices=Dimension.choices)
    key = models.CharField(max_length=24, blank=True)
    dim2 = models.CharField(max_length=12, choices=Dimension.choices)
    key2 = models.CharField(max_length=24, blank=True)
    by_dim = models.CharField(max_length=12, blank=True)
    by_key = models.CharField(max_length=24, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dim", "key", "dim2", "key2", "by_dim", "by_key", "month"], name="pairfigure_unique"
            )
        ]
        indexes = [models.Index(fields=["month"], name="pairfigure_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.dim}={self.key} {self.dim2}={self.key2} {self.by_dim}={self.by_key}"


class LowFigure(FigureCounters):
    """The cube of the low-cardinality filters at once, for three or four of them: for each month of
    filing, one row per combination of province, sector, channel and hipervulnerable consumers that
    occurs, counting company parts (`counted` "parts", a sector chosen: each part of the sector is
    its case), and one per province, channel and hipervulnerable counting each case once (`counted`
    "cases", sector ""). Every counter, stage histogram and state, and the same broken down by
    conciliator (`by_dim`; counters and the resolution histogram only). A filter left out is summed
    over its rows; the lines by channel are the channel's rows. Written by the same refresh as the
    cube (reporting/refresh.py); read by `indicators.figures` for three or four of these filters."""

    month = models.DateField()
    counted = models.CharField(max_length=5)  # "parts" or "cases"
    province = models.CharField(max_length=24, blank=True)
    sector = models.CharField(max_length=24, blank=True)
    channel = models.CharField(max_length=24, blank=True)
    vulnerable = models.CharField(max_length=1, blank=True)  # "1" / "0", as aggregate.cube_key
    by_dim = models.CharField(max_length=12, blank=True)
    by_key = models.CharField(max_length=24, blank=True)

    class Meta:
        # Its index serves the reads: a filter left out is one of province, channel, hipervulnerable
        # (the sector is "" when counting cases), the province the likeliest and the widest: last.
        constraints = [
            models.UniqueConstraint(
                fields=["counted", "by_dim", "sector", "vulnerable", "channel", "province", "by_key", "month"],
                name="lowfigure_unique",
            )
        ]
        indexes = [models.Index(fields=["month"], name="lowfigure_month")]

    def __str__(self) -> str:
        return (
            f"{self.month:%Y-%m} {self.counted} {self.province}/{self.sector}/{self.channel}/{self.vulnerable} "
            f"{self.by_dim}={self.by_key}"
        )


class CompanyFigure(models.Model):
    """A company's published figures over the window (cases filed in the last 12 complete months),
    refreshed by beat. Rates are null when there is nothing to divide by."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, primary_key=True, related_name="figure")
    sector = models.CharField(max_length=12, choices=Sector.choices, default=Sector.OTHER)
    window_start = models.DateField()
    window_end = models.DateField()
    received = models.PositiveIntegerField(default=0)
    served = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    with_outcome = models.PositiveIntegerField(default=0)
    agreements = models.PositiveIntegerField(default=0)
    compliance_settled = models.PositiveIntegerField(default=0)
    complied = models.PositiveIntegerField(default=0)
    satisfaction_count = models.PositiveIntegerField(default=0)
    answered_share = models.FloatField(null=True, blank=True)
    agreement_rate = models.FloatField(null=True, blank=True)
    compliance_rate = models.FloatField(null=True, blank=True)
    median_days_answer = models.FloatField(null=True, blank=True)
    median_days_resolution = models.FloatField(null=True, blank=True)
    satisfaction = models.FloatField(null=True, blank=True)
    solved_share = models.FloatField(null=True, blank=True)
    # At least settings.PUBLIC_MIN_CLOSED_CASES closed cases, and not a human person.
    published = models.BooleanField(default=False)
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["sector", "published"], name="companyfigure_sector")]

    def __str__(self) -> str:
        return f"figures of company {self.company_id}"


class SectorFigure(models.Model):
    """A sector's figures: its cases pooled, and the median of its companies' rates (what a company
    is compared with)."""

    sector = models.CharField(max_length=12, choices=Sector.choices, primary_key=True)
    window_start = models.DateField()
    window_end = models.DateField()
    companies = models.PositiveIntegerField(default=0)
    received = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    answered_share = models.FloatField(null=True, blank=True)
    agreement_rate = models.FloatField(null=True, blank=True)
    compliance_rate = models.FloatField(null=True, blank=True)
    median_days_answer = models.FloatField(null=True, blank=True)
    median_days_resolution = models.FloatField(null=True, blank=True)
    satisfaction = models.FloatField(null=True, blank=True)
    solved_share = models.FloatField(null=True, blank=True)
    # The median company of the sector, figure by figure.
    median_answered_share = models.FloatField(null=True, blank=True)
    median_agreement_rate = models.FloatField(null=True, blank=True)
    median_compliance_rate = models.FloatField(null=True, blank=True)
    median_satisfaction = models.FloatField(null=True, blank=True)
    median_company_days_answer = models.FloatField(null=True, blank=True)
    median_company_days_resolution = models.FloatField(null=True, blank=True)
    median_solved_share = models.FloatField(null=True, blank=True)
    refreshed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"figures of sector {self.sector}"


class LiveCount(models.Model):
    """The dashboard's "now" figures, counted by each refresh (reporting/refresh.py `write_live_counts`)
    and by nothing else: the complaints awaiting admission and the open deadline clocks overdue or at
    risk (due by oversight's `at_risk_horizon`) at `RefreshState.live_at`.

    One row per combination of the case's filter values and one of its companies' parts, so that any
    combination of the dashboard's filters is one SUM over a few thousand rows (never the cases):
    without a company or sector chosen, the lead rows count each case once; with a company, its parts;
    with a sector, `sector_first` rows (one per case and sector). Clocks carry their assignee
    (the conciliator filter); backlog rows have none and no conciliator figure."""

    province = models.CharField(max_length=4, blank=True)
    channel = models.CharField(max_length=12, blank=True)
    vulnerable = models.BooleanField(default=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    sector = models.CharField(max_length=12, blank=True)
    lead = models.BooleanField(default=False)
    # The first of the case's parts in this sector: counting these counts each case once per sector.
    sector_first = models.BooleanField(default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    backlog = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    due_soon = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"live {self.province}/{self.channel}/{self.company_id}"


# The RefreshState row of the reporting refresh.
REFRESH_STATE = "reporting"


class RefreshState(models.Model):
    """Where the incremental refresh left off (one row per job)."""

    name = models.CharField(max_length=40, primary_key=True)
    watermark = models.DateTimeField(null=True, blank=True)
    # The office calendar the facts were counted with (its closed weekdays, ISO dates): a change
    # rebuilds the facts of the cases open over the days that changed (reporting/refresh.py).
    calendar = models.JSONField(default=list, blank=True)
    # When the "now" figures (LiveCount) were last counted.
    live_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name
