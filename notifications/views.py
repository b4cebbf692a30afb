"""Pages: the inbox, formal notices for representatives, failed deliveries for staff. Thin views:
scope through a selector (404 for strangers), call a service, redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notifications import selectors, services
from notifications.forms import FailureFilterForm, FormalNoticeFilterForm
from notifications.policy import may_watch_deliveries
from notifications.rendering import ensure_rendered
from parties.http import AuthenticatedRequest
from parties.models import User
from parties.redirects import safe_next
from parties.selectors import companies_visible_to

PAGE_SIZE = 25


def _querystring(data: dict) -> str:
    """The filters without the page, for pagination links."""
    return urlencode({key: value for key, value in data.items() if key != "page" and value})


# --- Inbox --------------------------------------------------------------------------------------


@login_required
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    page_obj = Paginator(selectors.inbox_for(user), PAGE_SIZE).get_page(request.GET.get("page"))
    # The worker renders messages when it delivers them; a page it has not reached yet renders here
    # what it shows (at most PAGE_SIZE rows), so nobody sees a message without its subject.
    page_obj.object_list = list(page_obj.object_list)
    ensure_rendered(page_obj.object_list)
    return render(request, "notifications/inbox.html", {"page_obj": page_obj})


@login_required
def inbox_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    item = selectors.inbox_item_for(user, pk)
    ensure_rendered([item])
    was_unread = item.read_at is None
    services.inbox_mark_read(notification=item, user=user)
    return render(request, "notifications/inbox_detail.html", {"item": item, "was_unread": was_unread})


@require_POST
@login_required
def inbox_mark_all_read(request: AuthenticatedRequest) -> HttpResponse:
    count = services.inbox_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All messages are marked as read."))
    return redirect("inbox")


# --- Failed deliveries (staff) ------------------------------------------------------------------


def delivery_watcher_or_404(request: AuthenticatedRequest) -> User:
    """The signed-in member of staff; to anyone else the delivery pages do not exist."""
    user = request.user
    if not may_watch_deliveries(user):
        raise Http404
    return user


@login_required
def notification_failures(request: AuthenticatedRequest) -> HttpResponse:
    user = delivery_watcher_or_404(request)
    form = FailureFilterForm(request.GET or None)
    rows = selectors.failures_visible_to(user)
    if form.is_valid():
        rows = selectors.failure_filter(rows, **form.cleaned_data)
    page_obj = Paginator(selectors.with_retries(rows), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page_obj": page_obj, "querystring": _querystring(request.GET.dict())}
    return render(request, "notifications/failures.html", context)


@require_POST
@login_required
def notification_retry(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = delivery_watcher_or_404(request)
    notification = selectors.failure_for(user, pk)
    try:
        services.notification_retry(notification=notification, by=user)
    except services.NotificationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The message was queued to be sent again."))
    return redirect(safe_next(request, "notification_failures"))


# --- Formal notices -----------------------------------------------------------------------------


@login_required
def formal_notice_list(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    notices = selectors.formal_notices_visible_to(user)
    companies = [] if user.has_staff_role else list(companies_visible_to(user).order_by("legal_name"))
    form = FormalNoticeFilterForm(request.GET or None, companies=companies)
    if form.is_valid():
        notices = selectors.formal_notice_filter(notices, **form.cleaned_data)
    page_obj = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page_obj": page_obj, "querystring": _querystring(request.GET.dict())}
    return render(request, "notifications/formal_notice_list.html", context)


def _open_if_representative(user: User, notice_pk: int) -> None:
    notice = selectors.formal_notice_for(user, notice_pk)
    if services.is_active_representative(user, notice.company_id):
        services.formal_notice_open(notice=notice, by=user)


@login_required
def formal_notice_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Reading the notice is what opens it: the first representative to see it serves the company."""
    user = request.user
    _open_if_representative(user, pk)
    notice = selectors.formal_notice_for(user, pk)
    return render(request, "notifications/formal_notice_detail.html", {"notice": notice})


@login_required
def formal_notice_document(request: AuthenticatedRequest, pk: int) -> FileResponse:
    user = request.user
    _open_if_representative(user, pk)
    notice = selectors.formal_notice_for(user, pk)
    if not notice.document:
        raise Http404
    return FileResponse(
        notice.document.open("rb"), as_attachment=True, filename=(notice.document.name or "").rsplit("/")[-1]
    )
