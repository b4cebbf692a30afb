"""The life of one complaint, driven through Chromium as each person would live it.

Each step is a function taking the `Journey`: the people's browser pages and the case, found again in
the database after each move (the database is the shared state; nothing is passed through the UI that
a person would not see). test_journey.py calls the steps in order: filing, admission and the notice with
an offer (1-3), the hearing (4), the agreement followed until it is honoured (5), and a second case whose
company does not come and is referred (6).

Every page a person reaches goes through `Journey.check(page, name)`: no console error or failed
request, a screenshot (test-artifacts/screens/journey-NN-name.png) and an axe-core audit with no serious
or critical violation. `Journey.assert_every_page_checked()` fails if a step loaded a page it did not
check. The texts the people click are the Spanish ones, looked up from the English msgids with `es()`.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import jwt
from allauth.account.models import EmailAddress
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import FilePayload, Page, expect
from pypdf import PdfReader

from complaints.models import Complaint, Offer, OfferStatus
from complaints.states import State
from hearings.models import Acta, Agreement, Attendance, Hearing
from hearings.services.absences import act_on_expired_justifications
from hearings.services.follow_up import ask_consumers_about_compliance
from notifications.models import FormalNotice, Notification
from parties.models import Company, Role, User
from tests.browser.a11y import assert_accessible
from tests.browser.conftest import ARTIFACTS, screenshot
from tests.helpers import case_number

PHONE = {"width": 390, "height": 844}
CONSUMER_EMAIL = "lucia.benitez@example.com"
CONSUMER_PASSWORD = "una-clave-bien-larga-2026"
# The smallest PDF the evidence sniffer accepts (the content is what is judged, not the name).
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CONFIRM_LINK = re.compile(r"https?://[^\s\"'<>]+/cuenta/confirm-email/[^\s\"'<>]+/")
# Jitsi's IFrame API, replaced by a stand-in that records what the page gave it (see test_room.py).
JITSI_STAND_IN = Path(__file__).parent / "jitsi_stub" / "external_api.js"
ATTENDANCE_REPORT = "/asistencia/informe/"
DOWNLOADS = ARTIFACTS.parent / "downloads"  # the PDFs the people downloaded, kept for reading


def es(msgid: str) -> str:
    """What a Spanish (es-AR) reader sees for this English msgid."""
    with translation.override("es-ar"):
        return translation.gettext(msgid)


def jpeg_bytes() -> bytes:
    """A small real photo-like JPEG (the consumer's picture of the broken product)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (210, 220, 230))
    ImageDraw.Draw(image).rectangle((60, 40, 260, 200), outline=(40, 40, 40), width=6)
    out = BytesIO()
    image.save(out, format="JPEG", quality=70)
    return out.getvalue()


@dataclass
class Journey:
    base_url: str
    page_for: Callable[..., Page]
    company: Company
    officer: User
    representative: User
    conciliator: User | None = None  # for the hearing steps
    second_conciliator: User | None = None  # holds the second case's hearing (step 6)
    consumer: User | None = None
    complaint: Complaint | None = None
    absent_case: Complaint | None = None  # step 6: the company does not come
    # Every URL the pages asked for external_api.js (the stand-in answers at the live server's address).
    jitsi_requests: list[str] = field(default_factory=list)
    pages: dict[str, Page] = field(default_factory=dict)
    shots: int = 0
    shot_prefix: str = "journey"  # the screenshots' file names: <shot_prefix>-NN-<page>.png
    # Per page: the URLs loaded since its last check (a page loaded and left unchecked is a gap).
    _loaded: dict[int, list[str]] = field(default_factory=dict)
    unchecked: list[str] = field(default_factory=list)

    # --- People and pages ---------------------------------------------------------------------

    def open(self, who: str, user: User | None = None, **viewport: Any) -> Page:
        page = self.page_for(user, **viewport)
        page.set_default_timeout(10_000)
        self._loaded[id(page)] = []
        page.on("load", lambda p: self._loaded[id(p)].append(p.url))
        page.route("**/external_api.js", self._serve_jitsi_stand_in)
        self.pages[who] = page
        return page

    def _serve_jitsi_stand_in(self, route: Any) -> None:
        self.jitsi_requests.append(route.request.url)
        route.fulfill(path=str(JITSI_STAND_IN), content_type="application/javascript")

    def url(self, path: str) -> str:
        return self.base_url + path

    def check(self, page: Page, name: str) -> None:
        """The page on screen now: no errors, a screenshot, no serious accessibility problem."""
        page.wait_for_load_state("load")
        loaded = self._loaded[id(page)]
        self.unchecked += [f"{url} (before {name})" for url in loaded[:-1]]
        loaded.clear()
        assert page.problems == [], f"{name}: {page.problems}"  # type: ignore[attr-defined]
        assert page.get_attribute("html", "lang") == "es-ar", f"{name} is not in Spanish"
        # Nothing wider than the screen: on a phone that means scrolling sideways to read.
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than the screen"
        self.shots += 1
        screenshot(page, f"{self.shot_prefix}-{self.shots:02d}-{name}")
        assert_accessible(page, f"{self.shot_prefix}-{self.shots:02d}-{name}")

    def assert_every_page_checked(self) -> None:
        for page in self.pages.values():
            self.unchecked += [f"{url} (at the end)" for url in self._loaded[id(page)]]
        assert self.unchecked == [], f"pages loaded but never checked: {self.unchecked}"

    def refresh(self) -> Complaint:
        assert self.complaint is not None
        self.complaint = Complaint.objects.get(pk=self.complaint.pk)
        return self.complaint


def click_and_check(journey: Journey, page: Page, locator: Any, name: str) -> None:
    """Click something that loads a new page, wait for that page, and check it."""
    with page.expect_event("load"):
        locator.click()
    journey.check(page, name)


def save_and_continue(journey: Journey, page: Page, name: str) -> None:
    click_and_check(journey, page, page.get_by_role("button", name=es("Save and continue")), name)


# --- 1. The consumer signs up, verifies the e-mail, completes the profile and files ----------------


def consumer_signs_up(journey: Journey) -> None:
    page = journey.open("consumer", None, **PHONE)
    page.goto(journey.url("/"))
    journey.check(page, "home-anonymous")

    click_and_check(journey, page, page.get_by_role("link", name=es("Start a complaint")), "signup")
    page.get_by_label(es("Email")).first.fill(CONSUMER_EMAIL)
    page.get_by_label(es("Password"), exact=True).fill(CONSUMER_PASSWORD)
    page.get_by_label(es("Password (again)")).fill(CONSUMER_PASSWORD)
    click_and_check(journey, page, page.get_by_role("button", name=es("Sign Up")), "verification-sent")

    # The verification e-mail is an outbox row; the person follows the link in its text.
    message = Notification.objects.filter(address=CONSUMER_EMAIL, event__startswith="account_").latest("created_at")
    match = CONFIRM_LINK.search(message.body_text)
    assert match, message.body_text
    page.goto(journey.url(re.sub(r"^https?://[^/]+", "", match.group(0))))
    journey.check(page, "confirm-email")
    click_and_check(journey, page, page.get_by_role("button", name=es("Confirm")), "home-consumer-new")
    journey.consumer = User.objects.get(email=CONSUMER_EMAIL)
    assert EmailAddress.objects.get(user=journey.consumer).verified


def consumer_completes_profile(journey: Journey) -> None:
    page = journey.pages["consumer"]
    click_and_check(journey, page, page.get_by_role("link", name=es("Complete your personal details")), "profile-empty")
    page.get_by_label(es("First name(s)")).fill("Lucía")
    page.get_by_label(es("Last name(s)")).fill("Benítez")
    page.get_by_label(es("DNI")).fill("28.456.789")
    page.get_by_label(es("Phone")).fill("11 4567-8901")
    page.get_by_label(es("Address")).fill("Av. Rivadavia 5120, 3° B")
    page.get_by_label(es("City or town")).fill("Buenos Aires")
    page.get_by_label(es("Province")).select_option("CABA")
    click_and_check(journey, page, page.get_by_role("button", name=es("Save my details")), "filing-start")


def consumer_files_complaint(journey: Journey) -> None:
    page = journey.pages["consumer"]
    click_and_check(journey, page, page.get_by_role("button", name=es("Start now")), "filing-1-details")
    expect(page.get_by_text("28456789")).to_be_visible()
    save_and_continue(journey, page, "filing-2-company")

    page.get_by_label(es("Search by name or CUIT")).fill("Electrodom")
    company = page.get_by_label(journey.company.legal_name)
    expect(company).to_be_visible()  # the list refreshes as the person types
    company.check()
    page.get_by_label(es("Seller"), exact=True).check()
    save_and_continue(journey, page, "filing-3-purchase")

    page.get_by_label(es("What did you buy or hire?")).fill("Lavarropas automático 8 kg")
    page.get_by_label(es("When did you buy or hire it?")).fill((timezone.localdate() - timedelta(days=40)).isoformat())
    page.get_by_label(es("How much did you pay? (ARS)")).fill("612345.5")
    page.get_by_label(es("Province where you bought or hired it")).select_option("CABA")
    save_and_continue(journey, page, "filing-4-claim")

    page.get_by_label(es("What happened?")).fill(
        "El lavarropas pierde agua desde la primera semana. Llamé tres veces al service (reclamos 4471, 4502 y "
        "4533) y nunca vinieron."
    )
    page.get_by_label(es("Refund")).check()
    page.get_by_label(es("Amount you claim (ARS)")).fill("612345.50")
    save_and_continue(journey, page, "filing-5-evidence")

    files: list[FilePayload] = [
        {"name": "factura-lavarropas.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES},
        {"name": "foto-perdida-agua.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()},
    ]
    page.get_by_label(es("Choose files")).set_input_files(files)
    click_and_check(
        journey, page, page.get_by_role("button", name=es("Upload the files")), "filing-5-evidence-uploaded"
    )
    attached = page.locator(".evidence-list strong")
    expect(attached).to_have_text(["factura-lavarropas.pdf", "foto-perdida-agua.jpg"])
    save_and_continue(journey, page, "filing-6-review")

    page.get_by_label(es("I declare that what I state is true")).check()
    click_and_check(journey, page, page.get_by_role("button", name=es("Submit the complaint")), "receipt")
    assert journey.consumer is not None
    journey.complaint = Complaint.objects.get(consumer=journey.consumer)
    assert journey.complaint.status == State.SUBMITTED
    assert journey.complaint.evidence.count() == 2
    expect(page.locator("[data-case-number]")).to_have_text(case_number(journey.complaint))


# --- 2. The officer observes it, the consumer corrects it, the officer admits it -----------------


def officer_observes(journey: Journey) -> None:
    complaint = journey.refresh()
    page = journey.open("officer", journey.officer)
    page.goto(journey.url("/"))
    journey.check(page, "home-officer")
    click_and_check(journey, page, page.get_by_role("link", name=es("Admission"), exact=True), "admission-queue")
    click_and_check(journey, page, page.get_by_role("link", name=complaint.number), "officer-case-submitted")

    page.get_by_text(es("Request corrections from the consumer")).click()
    page.get_by_label(es("What the consumer must correct")).fill(
        "El monto pagado no coincide con la factura adjunta: corríjalo con el total que figura en ella."
    )
    click_and_check(
        journey, page, page.get_by_role("button", name=es("Request corrections"), exact=True), "queue-after-observe"
    )
    assert journey.refresh().status == State.OBSERVED


def consumer_corrects(journey: Journey) -> None:
    complaint = journey.refresh()
    page = journey.pages["consumer"]
    page.goto(journey.url("/"))
    journey.check(page, "home-consumer-observed")
    link = page.get_by_role("link", name=es("Correct complaint %(number)s") % {"number": complaint.number})
    click_and_check(journey, page, link, "correct-1-details")
    expect(page.get_by_text("El monto pagado no coincide")).to_be_visible()
    save_and_continue(journey, page, "correct-2-company")
    save_and_continue(journey, page, "correct-3-purchase")
    page.get_by_label(es("How much did you pay? (ARS)")).fill("612345.50")
    save_and_continue(journey, page, "correct-4-claim")
    save_and_continue(journey, page, "correct-5-evidence")
    save_and_continue(journey, page, "correct-6-review")
    page.get_by_label(es("I declare that what I state is true")).check()
    click_and_check(
        journey, page, page.get_by_role("button", name=es("Send the corrected complaint")), "receipt-resubmitted"
    )
    assert journey.refresh().status == State.SUBMITTED


def officer_admits(journey: Journey) -> None:
    complaint = journey.refresh()
    page = journey.pages["officer"]
    click_and_check(journey, page, page.get_by_role("link", name=es("Admission"), exact=True), "queue-resubmitted")
    click_and_check(journey, page, page.get_by_role("link", name=complaint.number), "officer-case-resubmitted")
    click_and_check(journey, page, page.get_by_role("button", name=es("Admit complaint")), "queue-after-admit")
    # The company has an electronic domicile, so admitting it serves the formal notice at once.
    assert journey.refresh().status == State.COMPANY_NOTIFIED
    assert FormalNotice.objects.filter(case_number=complaint.number, served_at__isnull=True).count() == 1


# --- 3. The company's representative opens the notice, makes an offer; the consumer rejects it ----


def representative_opens_notice(journey: Journey) -> FormalNotice:
    complaint = journey.refresh()
    notice = FormalNotice.objects.get(case_number=complaint.number)
    page = journey.open("representative", journey.representative)
    page.goto(journey.url("/"))
    journey.check(page, "home-representative")
    # The notice reaches the representative's inbox (and the domicile's e-mail); reading the message
    # does not serve the company, opening the notice does.
    click_and_check(journey, page, page.locator("a.header-icon-link"), "inbox-representative")
    message = page.locator(".list-group-item a", has_text=complaint.number).first
    click_and_check(journey, page, message, "inbox-notice-message")
    notice.refresh_from_db()
    assert notice.opened_at is None and notice.served_at is None
    # The link in the message is absolute (SITE_URL); the test server listens elsewhere.
    href = page.locator(f".notification-body a[href$='/cedulas/{notice.pk}/']").first.get_attribute("href") or ""
    page.goto(journey.url(re.sub(r"^https?://[^/]+", "", href)))
    journey.check(page, "notice-opened")

    notice.refresh_from_db()
    assert notice.opened_by == journey.representative and notice.served_at == notice.opened_at
    served = timezone.localtime(notice.served_at, timezone.get_default_timezone())
    served_row = page.locator("dt", has_text=es("Served")).locator("xpath=following-sibling::dd[1]")
    expect(served_row).to_contain_text(served.strftime("%H:%M"))
    expect(served_row).to_contain_text(str(served.year))
    return notice


def representative_offers(journey: Journey, *, amount: str = "450000.00") -> Offer:
    complaint = journey.refresh()
    page = journey.pages["representative"]
    page.goto(journey.url("/"))
    journey.check(page, "home-representative-served")
    click_and_check(journey, page, page.get_by_role("link", name=complaint.number), "representative-case")
    page.get_by_label(es("Amount (ARS)")).fill(amount)
    page.get_by_label(es("What the company offers")).fill(
        "Reintegro del total pagado por transferencia a la cuenta que indique la consumidora."
    )
    page.get_by_label(es("To be fulfilled by")).fill((timezone.localdate() + timedelta(days=15)).isoformat())
    click_and_check(journey, page, page.get_by_role("button", name=es("Send the offer")), "representative-offered")
    return complaint.offers.get()


def consumer_rejects_offer(journey: Journey) -> Offer:
    complaint = journey.refresh()
    page = journey.pages["consumer"]
    page.goto(journey.url("/"))
    journey.check(page, "home-consumer-offer")
    click_and_check(journey, page, page.get_by_role("link", name=complaint.number).first, "consumer-case-offer")
    expect(page.locator("#respond-offer .offer__amount")).to_have_text("$\u00a0450.000,00")
    page.get_by_text(es("Reject the offer or propose a counter-offer")).click()
    click_and_check(journey, page, page.get_by_role("button", name=es("Reject the offer")), "consumer-rejected")
    offer = complaint.offers.get()
    assert offer.status == OfferStatus.REJECTED
    return offer


# --- 4. A hearing is scheduled; the three of them enter the room; attendance is recorded ----------


def case_path(case: Complaint) -> str:
    return reverse("complaint_detail", args=[case.pk])


def open_case(journey: Journey, who: str, case: Complaint, name: str) -> Page:
    """The person opens the case from their home page (the link's text starts with its number)."""
    page = journey.pages[who]
    page.goto(journey.url("/"))
    journey.check(page, f"home-{name}")
    link = page.get_by_role("link", name=re.compile("^" + re.escape(case_number(case))))
    click_and_check(journey, page, link.first, f"case-{name}")
    return page


def accept_the_confirmation(page: Page) -> None:
    """The next "Are you sure…?" (data-confirm, window.confirm) is answered yes."""
    page.once("dialog", lambda dialog: dialog.accept())


def move_hearing_to_now(hearing: Hearing, *, started_minutes_ago: int) -> Hearing:
    """Test setup, not behaviour: a hearing is scheduled at least DEADLINE_HEARING_NOTICE_DAYS business
    days ahead, and its room opens only around that time. Rather than wait (or move the clock under the
    live server, which runs in another thread), the hearing's planned times are moved so that it began
    `started_minutes_ago` minutes ago, keeping its length."""
    length = hearing.ends_at - hearing.starts_at
    hearing.starts_at = timezone.now() - timedelta(minutes=started_minutes_ago)
    hearing.ends_at = hearing.starts_at + length
    hearing.save(update_fields=["starts_at", "ends_at"])
    return hearing


def officer_schedules_hearing(journey: Journey) -> Hearing:
    complaint = journey.refresh()
    page = journey.pages["officer"]
    menu = page.get_by_role("navigation", name=es("Main menu"))
    click_and_check(journey, page, menu.get_by_role("link", name=es("Hearings"), exact=True), "hearing-list")
    schedule = page.get_by_role("link", name=es("Schedule %(number)s") % {"number": complaint.number})
    click_and_check(journey, page, schedule, "hearing-schedule")
    # The earliest proposed time comes chosen, with the least busy conciliator free then.
    expect(page.get_by_role("radio").first).to_be_checked()
    click_and_check(journey, page, page.get_by_role("button", name=es("Confirm the hearing")), "case-scheduled")
    assert journey.refresh().status == State.HEARING_SCHEDULED
    hearing = Hearing.objects.get(complaint=complaint)
    assert hearing.conciliator == journey.conciliator
    assert hearing.starts_at >= timezone.now() + timedelta(days=5)  # five business days' notice at least
    expect(page.locator("#hearings")).to_contain_text(journey.conciliator.display_name)
    return hearing


def conciliator_sees_the_week(journey: Journey, hearing: Hearing) -> None:
    assert journey.conciliator is not None
    page = journey.open("conciliator", journey.conciliator)
    page.goto(journey.url("/"))
    journey.check(page, "home-conciliator")
    menu = page.get_by_role("navigation", name=es("Main menu"))
    click_and_check(journey, page, menu.get_by_role("link", name=es("Calendar"), exact=True), "calendar")
    page.get_by_label(es("Week of")).fill(timezone.localtime(hearing.starts_at).date().isoformat())
    click_and_check(journey, page, page.get_by_role("button", name=es("Show")), "calendar-hearing-week")
    expect(page.locator(".week-hearing")).to_contain_text(case_number(hearing.complaint))


def verify_token(token: str, *, room: str, moderator: bool) -> dict:
    """The token as Jitsi's prosody checks it: HS256 with the shared secret, our audience and issuer."""
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(
        token,
        settings.JITSI_APP_SECRET,
        algorithms=["HS256"],
        audience=settings.JITSI_AUDIENCE,
        issuer=settings.JITSI_APP_ID,
    )
    assert claims["room"] == room
    assert claims["moderator"] is moderator
    assert claims["context"]["user"]["moderator"] == ("true" if moderator else "false")
    return claims


def joins_the_room(journey: Journey, who: str, case: Complaint, hearing: Hearing, *, via: str) -> dict:
    """Into the hearing room `via` the home page's "Upcoming hearings", the case page, or (a conciliator)
    the hearing console; answer the recording question (the parties are asked), press "Join", and wait
    for the page's report of the join. Returns what the page gave Jitsi."""
    page = journey.pages[who]
    if via == "home":  # "Hearing DC-…: <date>"
        page.goto(journey.url("/"))
        journey.check(page, f"home-{who}-hearing")
        link = page.get_by_role("link", name=re.compile(re.escape(case_number(case)) + ":"))
    elif via == "case":
        open_case(journey, who, case, f"{who}-hearing")
        link = page.get_by_role("link", name=es("Enter the hearing room"))
    else:  # a conciliator's home links each of their cases to its hearing console
        page.goto(journey.url("/"))
        journey.check(page, f"home-{who}-hearing")
        link = page.get_by_role("link", name=re.compile("^" + re.escape(case_number(case))))
        click_and_check(journey, page, link.first, f"console-{who}-before")
        expect(page.get_by_role("heading", level=1)).to_have_text(es("Hearing console"))
        link = page.get_by_role("link", name=es("Open the video room"))
    click_and_check(journey, page, link, f"room-{who}")
    if not who.startswith("conciliator"):  # the conciliator is not asked about recording
        page.get_by_label(es("Yes, I agree to the hearing being recorded")).check()
        click_and_check(journey, page, page.get_by_role("button", name=es("Save my answer")), f"room-{who}-ready")
    requested = len(journey.jitsi_requests)
    with page.expect_response(lambda r: ATTENDANCE_REPORT in r.url) as reported:
        page.locator("[data-join]").click()
    assert reported.value.status == 201, reported.value.text()
    expect(page.locator("[data-room-status]")).to_have_text(es("You are in the hearing room."))
    journey.check(page, f"room-{who}-joined")

    jitsi = page.evaluate("({domain: window.__jitsi.domain, options: window.__jitsi.options})")
    jitsi["commands"] = page.evaluate("window.__jitsi.commands")
    assert journey.jitsi_requests[requested:] == [f"http://{settings.JITSI_DOMAIN}/external_api.js"]
    assert jitsi["domain"] == settings.JITSI_DOMAIN
    assert jitsi["options"]["roomName"] == hearing.room.lower()
    moderator = who.startswith("conciliator")
    verify_token(jitsi["options"]["jwt"], room=hearing.room.lower(), moderator=moderator)
    # Only the moderator turns the lobby on (the parties wait in it until admitted).
    assert jitsi["commands"] == ([["toggleLobby", True]] if moderator else [])
    return jitsi


def leaves_the_room(journey: Journey, who: str) -> None:
    """The room says the person left (as Jitsi does on hanging up); wait for the page's report."""
    page = journey.pages[who]
    with page.expect_response(lambda r: ATTENDANCE_REPORT in r.url) as reported:
        page.evaluate("window.__jitsi.emit('videoConferenceLeft', {})")
    assert reported.value.status == 201, reported.value.text()
    expect(page.locator("[data-join]")).to_be_visible()  # they could join again


def the_hearing_is_held(journey: Journey) -> Hearing:
    hearing = officer_schedules_hearing(journey)
    conciliator_sees_the_week(journey, hearing)
    hearing = move_hearing_to_now(hearing, started_minutes_ago=5)
    case = journey.refresh()
    joins_the_room(journey, "consumer", case, hearing, via="home")
    joins_the_room(journey, "representative", case, hearing, via="case")
    joins_the_room(journey, "conciliator", case, hearing, via="console")
    joined = Attendance.objects.filter(hearing=hearing, kind=Attendance.Kind.JOINED, source=Attendance.Source.CLIENT)
    assert {(row.user, row.party) for row in joined} == {
        (journey.consumer, Attendance.Party.CONSUMER),
        (journey.representative, Attendance.Party.COMPANY),
        (journey.conciliator, Attendance.Party.CONCILIATOR),
    }
    for who in ("consumer", "representative", "conciliator"):
        leaves_the_room(journey, who)
    assert Attendance.objects.filter(hearing=hearing, kind=Attendance.Kind.LEFT).count() == 3
    return hearing


# --- 5. The agreement: acta, confirmations, approval, and the consumer confirms compliance -------


def pdf_text(data: bytes) -> str:
    """The PDF's text with whitespace collapsed (table cells and line breaks become single spaces)."""
    assert data.startswith(b"%PDF"), data[:20]
    reader = PdfReader(BytesIO(data))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def download(page: Page, link: Any, name: str) -> bytes:
    """Click a link that downloads a file; keep a copy in test-artifacts/downloads/."""
    with page.expect_download() as downloaded:
        link.click()
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    downloaded.value.save_as(DOWNLOADS / name)
    return (DOWNLOADS / name).read_bytes()


def joined_at(hearing: Hearing, user: User | None) -> str:
    """When the person joined, as the PDFs write it (HH:MM, Argentine time)."""
    row = Attendance.objects.filter(hearing=hearing, user=user, kind=Attendance.Kind.JOINED).earliest("at")
    return timezone.localtime(row.at, timezone.get_default_timezone()).strftime("%H:%M")


AGREED_TERMS = "La empresa reintegra el total pagado por el lavarropas y lo retira del domicilio."


def conciliator_records_agreement(journey: Journey, hearing: Hearing) -> Agreement:
    page = journey.pages["conciliator"]
    page.goto(journey.url(case_path(journey.refresh())))
    journey.check(page, "case-conciliator-after-hearing")
    click_and_check(journey, page, page.get_by_role("link", name=es("Hearing console")), "console")
    expect(page.locator("#attendance tbody tr")).to_have_count(3)

    page.get_by_label(es("Agreement"), exact=True).check()
    due = timezone.localdate() + timedelta(days=20)
    page.get_by_label(es("Terms of the agreement")).fill(AGREED_TERMS)
    page.get_by_label(es("Amount the company pays (ARS)")).fill("612345.50")
    page.get_by_label(es("Who does what, by when")).fill(
        "La empresa transfiere el monto a la cuenta de la consumidora dentro de los 10 días hábiles."
    )
    page.get_by_label(es("Compliance deadline")).fill(due.isoformat())
    page.get_by_label(es("What happened")).fill("Las partes conversaron y acordaron el reintegro total.")
    accept_the_confirmation(page)
    click_and_check(journey, page, page.get_by_role("button", name=es("Record the outcome")), "console-agreement")
    assert journey.refresh().status == State.AGREEMENT
    acta = Acta.objects.get(hearing=hearing)
    assert acta.is_ready  # generated as the outcome was recorded (the task runs in-process in tests)

    acta_link = page.get_by_role("link", name=es("Download the acta (PDF)")).first
    text = pdf_text(download(page, acta_link, "journey-acta.pdf"))
    case = journey.refresh()
    assert journey.conciliator is not None
    for expected in (
        case_number(case),
        case.consumer_name,
        journey.company.legal_name,
        es("Attendance"),
        f"{journey.representative.display_name} {es('Company')} {joined_at(hearing, journey.representative)}",
        f"{case.consumer_name} {es('Consumer')} {joined_at(hearing, journey.consumer)}",
        journey.conciliator.display_name,
        es("Agreement"),
        "reintegra el total pagado",
        "612.345,50",
    ):
        assert expected in text, f"the acta does not say {expected!r}:\n{text}"
    return Agreement.objects.get(complaint=case)


def party_confirms_acta(journey: Journey, who: str) -> None:
    case = journey.refresh()
    page = open_case(journey, who, case, f"{who}-acta")
    click_and_check(journey, page, page.get_by_role("link", name=es("Read and confirm the acta")), f"acta-{who}")
    expect(page.get_by_text(AGREED_TERMS)).to_be_visible()
    page.get_by_label(es("I have read the acta and it records what happened at the hearing.")).check()
    click_and_check(journey, page, page.get_by_role("button", name=es("Confirm the acta")), f"case-{who}-confirmed")
    user = journey.consumer if who == "consumer" else journey.representative
    acta = Acta.objects.get(hearing__complaint=case)
    assert acta.confirmations.get(user=user).sha256 == acta.sha256


def director_homologates(journey: Journey) -> None:
    """The director (not the office) homologates: a signed disposición is issued."""
    from tests.conftest import enrol_totp, make_user

    case = journey.refresh()
    page = journey.pages.get("director")
    if page is None:
        director = User.objects.filter(role=Role.DIRECTOR, is_active=True).first()
        if director is None:
            director = make_user("directora@oficina.test", Role.DIRECTOR, first_name="Elena", last_name="Quiroga")
            enrol_totp(director)
        page = journey.open("director", director)
    page.goto(journey.url(case_path(case)))
    journey.check(page, "case-director-agreement")
    accept_the_confirmation(page)
    approve = page.get_by_role("button", name=es("Homologate the agreement and sign the disposición"))
    click_and_check(journey, page, approve, "case-director-homologated")
    case = journey.refresh()
    assert case.status == State.AGREEMENT_APPROVED
    assert case.disposition.sha256 and case.disposition.signed_by.role == Role.DIRECTOR


def consumer_confirms_compliance(journey: Journey, agreement: Agreement) -> None:
    # The compliance deadline comes: the beat job asks the consumer (called with that day's date).
    deadline = datetime.combine(agreement.compliance_due, time(10), tzinfo=timezone.get_default_timezone())
    assert ask_consumers_about_compliance(now=deadline) == 1
    case = journey.refresh()
    assert Notification.objects.filter(recipient=journey.consumer, event="compliance_due").exists()
    page = open_case(journey, "consumer", case, "consumer-compliance")
    tell = page.get_by_role("link", name=es("Tell us whether the company complied"))
    click_and_check(journey, page, tell, "compliance-answer")
    page.get_by_label(es("Yes, it complied")).check()
    click_and_check(journey, page, page.get_by_role("button", name=es("Send the answer")), "case-complied")
    assert journey.refresh().status == State.COMPLIED
    expect(page.locator(".case-header .status-badge")).to_have_text(es("Agreement complied with"))


def the_agreement_is_honoured(journey: Journey, hearing: Hearing) -> None:
    agreement = conciliator_records_agreement(journey, hearing)
    party_confirms_acta(journey, "consumer")
    party_confirms_acta(journey, "representative")
    director_homologates(journey)
    consumer_confirms_compliance(journey, agreement)


# --- 6. A second case: the company does not come, does not justify, and the case is referred -------


def officer_schedules_with_another_conciliator(journey: Journey, case: Complaint) -> Hearing:
    """The office gives the second case to another conciliator, at the earliest proposed time. (Both
    hearings are moved to "now" below: one conciliator cannot hold two at once — on PostgreSQL an
    exclusion constraint refuses it — so the second is Diego's, chosen under "another conciliator".)"""
    assert journey.second_conciliator is not None
    page = journey.pages["officer"]
    page.goto(journey.url(case_path(case)))
    journey.check(page, "case-officer-second")
    click_and_check(journey, page, page.get_by_role("link", name=es("Schedule a hearing")), "hearing-schedule-second")
    # A proposed slot's value is "<conciliator id>@<ISO start>": the same time, with someone else.
    starts_at = timezone.localtime(
        datetime.fromisoformat((page.get_by_role("radio").first.get_attribute("value") or "").partition("@")[2])
    )
    page.get_by_label(es("Another date, time or conciliator (below)")).check()
    page.get_by_label(es("Date"), exact=True).fill(starts_at.date().isoformat())
    page.get_by_label(es("Start time")).fill(starts_at.strftime("%H:%M"))
    page.get_by_label(es("Conciliator"), exact=True).select_option(label=journey.second_conciliator.display_name)
    click_and_check(journey, page, page.get_by_role("button", name=es("Confirm the hearing")), "case-second-scheduled")
    hearing = Hearing.objects.get(complaint=case)
    assert hearing.conciliator == journey.second_conciliator
    assert hearing.starts_at == starts_at
    return hearing


def the_company_is_absent(journey: Journey, case: Complaint) -> Hearing:
    hearing = officer_schedules_with_another_conciliator(journey, case)
    # Past the tolerance already (it started 40 minutes ago), so the absence can be recorded at once.
    hearing = move_hearing_to_now(hearing, started_minutes_ago=40)
    assert journey.second_conciliator is not None
    journey.open("conciliator2", journey.second_conciliator)
    joins_the_room(journey, "consumer", case, hearing, via="case")
    joins_the_room(journey, "conciliator2", case, hearing, via="home")
    leaves_the_room(journey, "consumer")
    leaves_the_room(journey, "conciliator2")

    page = journey.pages["conciliator2"]
    page.goto(journey.url(case_path(case)))
    journey.check(page, "case-conciliator2")
    click_and_check(journey, page, page.get_by_role("link", name=es("Hearing console")), "console-second")
    expect(page.locator("[data-tolerance-text]")).to_have_text(
        es("The tolerance has run out: an absence can now be recorded.")
    )
    page.get_by_label(es("Company absent"), exact=True).check()
    page.get_by_label(es("What happened")).fill("La empresa no se conectó ni avisó; la consumidora esperó 40 minutos.")
    accept_the_confirmation(page)
    click_and_check(journey, page, page.get_by_role("button", name=es("Record the outcome")), "console-absent")
    case.refresh_from_db()
    assert case.status == State.COMPANY_ABSENT and case.justification_due_at is not None
    return hearing


def the_company_does_not_justify(journey: Journey, case: Complaint) -> None:
    # The representative is told and could justify the absence until the deadline…
    page = open_case(journey, "representative", case, "representative-absent")
    expect(page.get_by_role("link", name=es("Justify the absence"))).to_be_visible()
    # …but does not. After the deadline the beat job refers the case (called with a later `now`).
    case.refresh_from_db()
    assert case.justification_due_at is not None
    assert act_on_expired_justifications(now=case.justification_due_at + timedelta(minutes=1)) == 1
    case.refresh_from_db()
    assert case.status == State.REFERRED


def office_exports_the_file(journey: Journey, case: Complaint) -> None:
    page = journey.pages["officer"]
    page.goto(journey.url(case_path(case)))
    journey.check(page, "case-referred")
    with translation.override("es-ar"):
        referred = str(State.REFERRED.label)
    expect(page.locator(".case-header .status-badge")).to_have_text(referred)
    text = pdf_text(download(page, page.get_by_role("link", name=es("Whole case file (PDF)")), "journey-case-file.pdf"))
    hearing = Hearing.objects.get(complaint=case)
    assert journey.consumer is not None and journey.second_conciliator is not None
    for expected in (
        case_number(case),
        es("Referred to the legal directorate"),
        es("The company did not justify its absence from the hearing in time."),
        es("Company absent"),
        es("Attendance"),
        f"{journey.consumer.display_name} {es('Consumer')}",
        joined_at(hearing, journey.consumer),
        journey.second_conciliator.display_name,
    ):
        assert expected in text, f"the case file does not say {expected!r}:\n{text}"


def the_absent_company_is_referred(journey: Journey) -> None:
    from tests.complaints.factories import served_case

    # Test setup: a second complaint of the same consumer against the same company, filed and
    # admitted through the services (steps 1-2 drove that part through the browser already).
    assert journey.consumer is not None
    journey.consumer = User.objects.get(pk=journey.consumer.pk)  # with the name from their profile (step 1)
    with translation.override("es-ar"):  # as the officer, who works in Spanish, would have admitted it
        journey.absent_case = served_case(journey.consumer, journey.company, journey.officer)
    the_company_is_absent(journey, journey.absent_case)
    the_company_does_not_justify(journey, journey.absent_case)
    office_exports_the_file(journey, journey.absent_case)
