"""Placeholder until the pages land; every view answers 404."""

from django.http import Http404

def admission_queue(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def complaint_admit(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def complaint_observe(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def complaint_reject(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404

