"""The life of one complaint, driven through Chromium as each person would live it.

Each step is a function taking the `Journey`: the people's browser pages and the case, found again in
the database after each move (the database is the shared state; nothing is passed through the UI that
a person would not see). test_journey.py calls the steps in order; the hearing, the acta and the absent
company (steps 4-6) append further functions here that start from `journey.complaint`.

Every page a person reaches goes through `Journey.check(page, name)`: no console error or failed
request, a screenshot (test-artifacts/screens/journey-NN-name.png) and an axe-core audit with no serious
or critical violation. `Journey.assert_every_page_checked()` fails if a step loaded a page it did not
check. The texts the people click are the Spanish ones, looked up from the English msgids with `es()`.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO
from typing import Any

from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from complaints.models import Complaint, Offer, OfferStatus
from complaints.states import State
from notifications.models import FormalNotice, Notification
from parties.models import Company, User
from tests.browser.a11y import assert_accessible
from tests.browser.conftest import screenshot

PHONE = {"width": 390, "height": 844}
CONSUMER_EMAIL = "lucia.benitez@example.com"
CONSUMER_PASSWORD = "una-clave-bien-larga-2026"
# The smallest PDF the evidence sniffer accepts (the content is what is judged, not the name).
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CONFIRM_LINK = re.compile(r"https?://[^\s\"'<>]+/cuenta/confirm-email/[^\s\"'<>]+/")


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
    consumer: User | None = None
    complaint: Complaint | None = None
    pages: dict[str, Page] = field(default_factory=dict)
    shots: int = 0
    # Per page: the URLs loaded since its last check (a page loaded and left unchecked is a gap).
    _loaded: dict[int, list[str]] = field(default_factory=dict)
    unchecked: list[str] = field(default_factory=list)

    # --- People and pages ---------------------------------------------------------------------

    def open(self, who: str, user: User | None = None, **viewport: Any) -> Page:
        page = self.page_for(user, **viewport)
        page.set_default_timeout(10_000)
        self._loaded[id(page)] = []
        page.on("load", lambda p: self._loaded[id(p)].append(p.url))
        self.pages[who] = page
        return page

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
        screenshot(page, f"journey-{self.shots:02d}-{name}")
        assert_accessible(page, f"journey-{self.shots:02d}-{name}")

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
    assert journey.consumer.emailaddress_set.get().verified


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
    save_and_continue(journey, page, "filing-3-purchase")

    page.get_by_label(es("What did you buy or hire?")).fill("Lavarropas automático 8 kg")
    page.get_by_label(es("When did you buy or hire it?")).fill((timezone.localdate() - timedelta(days=40)).isoformat())
    page.get_by_label(es("How much did you pay? (ARS)")).fill("612345.5")
    save_and_continue(journey, page, "filing-4-claim")

    page.get_by_label(es("What happened?")).fill(
        "El lavarropas pierde agua desde la primera semana. Llamé tres veces al service (reclamos 4471, 4502 y "
        "4533) y nunca vinieron."
    )
    page.get_by_label(es("Refund")).check()
    page.get_by_label(es("Amount you claim (ARS)")).fill("612345.50")
    save_and_continue(journey, page, "filing-5-evidence")

    page.get_by_label(es("Choose files")).set_input_files(
        [
            {"name": "factura-lavarropas.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES},
            {"name": "foto-perdida-agua.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()},
        ]
    )
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
    expect(page.locator("[data-case-number]")).to_have_text(journey.complaint.number)


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
