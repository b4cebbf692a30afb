"""Placeholder until the pages land; every view answers 404."""

from django.http import Http404

def complaint_new(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def complaint_step(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def evidence_upload(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def evidence_delete(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def complaint_submit(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def complaint_resubmit(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def complaint_receipt(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def complaint_receipt_pdf(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def company_lookup(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def assisted_filing(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404

