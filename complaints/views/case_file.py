"""Placeholder until the pages land; every view answers 404."""

from django.http import Http404

def complaint_list(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def complaint_detail(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def complaint_export_pdf(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def evidence_download(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def complaint_withdraw(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def company_answer(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def offer_make(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def offer_accept(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def offer_reject(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404

