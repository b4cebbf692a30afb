"""Every periodic job Celery beat runs, in one place (settings.CELERY_BEAT_SCHEDULE).

Beat sweeps the database for what is due; nothing waits in the broker. Each entry expires after its
own interval (or an hour for the daily ones), so a backlog after an outage runs once, not many times.
The crontab hours are the office's (CELERY_TIMEZONE = TIME_ZONE)."""

from typing import Any

from celery.schedules import crontab


def _every(seconds: float, task: str) -> dict[str, Any]:
    return {"task": task, "schedule": float(seconds), "options": {"expires": float(seconds)}}


def _daily(hour: int, minute: int, task: str) -> dict[str, Any]:
    return {"task": task, "schedule": crontab(hour=hour, minute=minute), "options": {"expires": 3600.0}}


def beat_schedule(
    *, notification_sweep_seconds: int, reporting_refresh_seconds: int = 600
) -> dict[str, dict[str, Any]]:
    return {
        # Case deadlines (complaints/tasks.py).
        "complaints-archive-uncorrected": _every(900, "complaints.tasks.archive_uncorrected_complaints"),
        "complaints-refer-without-domicile": _every(900, "complaints.tasks.refer_complaints_without_domicile"),
        "complaints-serve-new-domicile": _every(900, "complaints.tasks.serve_companies_with_new_domicile"),
        # Every case record against its keyed chain; alerts the supervisors (complaints/tasks_integrity.py).
        "complaints-verify-case-chains": _daily(2, 30, "complaints.tasks_integrity.verify_case_chains"),
        # The outbox, formal notices and retention (notifications/tasks.py).
        "notifications-sweep-outbox": _every(notification_sweep_seconds, "notifications.tasks.sweep_outbox"),
        # Webhook deliveries due: retries, and rows whose task was lost (api/webhooks/tasks.py).
        "api-webhooks-sweep": _every(60, "api.webhooks.tasks.sweep_webhooks"),
        # The API's Idempotency-Key records past API_IDEMPOTENCY_HOURS (api/tasks.py).
        "api-prune-idempotency-records": _daily(3, 20, "api.tasks.prune_idempotency_records"),
        # The API's call log past API_CALL_LOG_DAYS (api/retention.py).
        "api-prune-api-calls": _daily(3, 25, "api.tasks.prune_api_calls"),
        "notifications-formal-notices-served": _every(300, "notifications.tasks.mark_formal_notices_served"),
        "notifications-notice-documents": _daily(4, 10, "notifications.tasks.sweep_notice_documents"),
        "notifications-retention": _daily(3, 40, "notifications.tasks.apply_notification_retention"),
        # Twilio's reports: those a failed application left behind are applied, those that never found
        # a message of ours are forgotten (notifications/provider_reports.py).
        "notifications-stranded-provider-reports": _daily(3, 44, "notifications.tasks.apply_stranded_provider_reports"),
        "notifications-unclaimed-provider-reports": _daily(
            3, 45, "notifications.tasks.forget_unclaimed_provider_reports"
        ),
        # Hearings: reminders (48 h and 1 h before), absences, actas, agreement follow-up (hearings/tasks.py).
        "hearings-reminders": _every(300, "hearings.tasks.send_hearing_reminders"),
        "hearings-absence-deadlines": _every(900, "hearings.tasks.act_on_absence_deadlines"),
        "hearings-missing-actas": _every(600, "hearings.tasks.generate_missing_actas"),
        "hearings-compliance-due": _every(900, "hearings.tasks.ask_about_compliance"),
        # The legal directorate: expired defence and appeal windows (legal/tasks.py).
        "legal-close-windows": _every(900, "legal.tasks.close_legal_windows"),
        # The office calendar: a deadline recompute lost after a change is queued again (workdays/tasks.py).
        "workdays-requeue-lost-recomputes": _every(300, "workdays.tasks.requeue_lost_recomputes"),
        # A clock on every wait (oversight/tasks.py): one job per rule, reminders then escalations.
        **{
            f"oversight-{kind.replace('_', '-')}": _every(600, f"oversight.tasks.clock_{kind}")
            for kind in (
                "admission_review",
                "acta_confirmation",
                "homologation",
                "compliance_answer",
                "outcome_record",
                "rehearing",
                "recording",
                "company_answer",
                "justification_decision",
                "first_hearing",
                "offer_answer",
                "adjourned_new_date",
                "legal_decision",
                "legal_resolution",
                "appeal_result",
            )
        },
        "oversight-digest": _daily(7, 30, "oversight.tasks.supervisor_digest"),
        # Personal data (privacy/tasks.py): the access log's retention, closed cases anonymised.
        "privacy-access-log-retention": _daily(3, 50, "privacy.tasks.purge_access_log"),
        "privacy-anonymise-closed-cases": _daily(4, 30, "privacy.tasks.anonymise_closed_cases"),
        # The indicators' summary tables: the cases that moved since the last run (reporting/refresh.py).
        "reporting-refresh": _every(reporting_refresh_seconds, "reporting.tasks.refresh_reporting"),
        # Satisfaction surveys (reporting/tasks_surveys.py): one reminder, once, to the unanswered.
        "reporting-survey-reminders": _every(3600, "reporting.tasks_surveys.remind_unanswered_surveys"),
        # …and the closed cases whose survey task was lost (broker down, worker dead) are asked.
        "reporting-survey-sweeper": _every(3600, "reporting.tasks_surveys.ask_missed_surveys"),
    }
