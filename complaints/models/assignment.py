"""A company's rules for who handles its new cases: the first rule (by position) whose province and
product match a case served on the company assigns its part to that representative
(complaints/services/assignment.py applies them when the part is served)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parties.models import Company, Province


class AssignmentRule(models.Model):
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="assignment_rules", verbose_name=_("company")
    )
    position = models.PositiveSmallIntegerField(_("order"), default=1)
    # Empty means any: a rule with neither matches every case (a default at the end of the list).
    province = models.CharField(_("consumer's province"), max_length=4, choices=Province.choices, blank=True)
    product_contains = models.CharField(
        _("product contains"),
        max_length=100,
        blank=True,
        help_text=_("Words from what the consumer bought or hired, e.g. “fibra” or “heladera”."),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="assignment_rules",
        verbose_name=_("assign to"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        ordering = ["company_id", "position", "pk"]
        indexes = [models.Index(fields=["company", "position"], name="assignmentrule_company")]

    def __str__(self) -> str:
        return f"{self.company_id} #{self.position} → {self.assignee_id}"
