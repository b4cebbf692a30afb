"""The privacy floor's writes, one module per part: the access log, the anonymisation of closed
cases, and people's requests about their data."""

from privacy.services.access_log import access_log_purge, access_log_record  # noqa: F401
from privacy.services.anonymisation import anonymise_closed_cases, case_anonymise, cases_due  # noqa: F401
from privacy.services.data_requests import data_request_close, data_request_create  # noqa: F401
