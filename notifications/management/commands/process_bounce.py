"""Read one delivery status notification (bounce) from standard input: for Postfix's pipe
transport (see the README).

Exit status:
- 0 when it was read, when it is not a DSN at all (an auto-reply sent to the bounce address:
  dropped, never bounced back, so no mail loop), and when reading it failed in a way that trying
  again cannot fix (a bug, or input we did not foresee): logged with its traceback and dropped, since
  a permanent failure would only send the bounce back to the postmaster as a double bounce;
- 75 (EX_TEMPFAIL) when the database could not be reached, so the mail server keeps the report and
  tries again later."""

import logging
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError

from notifications import bounces

logger = logging.getLogger("notifications.bounces")

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Read one e-mail delivery status notification (RFC 3464) from stdin and record its bounces."

    def handle(self, *args: object, **options: object) -> None:
        raw = sys.stdin.buffer.read(bounces.MAX_BYTES + 1)
        try:
            outcome = bounces.process_report(raw)
        except bounces.NotADeliveryReport as exc:
            self.stderr.write(f"Ignored: {exc}")
            return
        except (OperationalError, InterfaceError) as exc:
            raise CommandError(f"The report could not be recorded now: {exc}", returncode=EX_TEMPFAIL) from exc
        except Exception:
            logger.exception("A delivery report of %s bytes could not be read; it was dropped.", len(raw))
            self.stderr.write("Dropped: the report could not be read (see the log).")
            return
        bounced, transient = ", ".join(outcome.bounced) or "none", ", ".join(outcome.transient) or "none"
        ignored = ", ".join(outcome.ignored) or "none"
        self.stdout.write(f"Hard bounces: {bounced}; transient: {transient}; ignored: {ignored}.")
