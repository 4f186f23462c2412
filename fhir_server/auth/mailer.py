"""Account e-mail over SMTP (the password reset link)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from fhir_server.settings import Settings

log = logging.getLogger(__name__)
SMTP_TIMEOUT_S = 10


def reset_message(sender: str, to: str, link: str, lifetime_s: int) -> EmailMessage:
    """The password reset e-mail."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Reset your Nutri-Vision password"
    message.set_content(
        "Someone asked to reset the password of your Nutri-Vision account.\n\n"
        f"To choose a new password, open this link within {lifetime_s // 60} minutes "
        f"(it works once):\n\n{link}\n\n"
        "If you did not ask for this, ignore this message: your password stays as it is.\n"
    )
    return message


def send(settings: Settings, message: EmailMessage) -> bool:
    """Send one message (blocking); False when no SMTP server is set or it failed."""
    if not settings.smtp_host:
        log.warning("no SMTP server is configured (NUTRIVISION_SMTP_HOST): mail not sent")
        return False
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_S) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        # the link is in the message: log the failure only, never the message
        log.error("account mail to the SMTP server failed: %s", type(error).__name__)
        return False
    return True
