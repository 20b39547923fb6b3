"""The office inbox sinks the settings switch on: Maildir, email, staff Telegram chat, webhook,
and the case store (the desk's database)."""

from __future__ import annotations

from telegram import Bot

from bot.config import Settings, parse_smtp_url
from bot.delivery.sinks.casestore import CaseStoreSink
from bot.delivery.sinks.maildir import MaildirSink
from bot.delivery.sinks.smtp import SmtpSink
from bot.delivery.sinks.telegram_staff import TelegramStaffSink
from bot.delivery.sinks.webhook import WebhookSink
from bot.delivery.worker import Sink
from bot.engine.flowset import FlowSet
from bot.media.store import MediaStore


def build_sinks(
    settings: Settings, media: MediaStore, bot: Bot | None, flows: FlowSet
) -> list[Sink]:
    sinks: list[Sink] = []
    if settings.CASESTORE_ENABLED:
        sinks.append(CaseStoreSink(settings.DATABASE_URL, flows))
    if settings.INBOX_MAILDIR_ENABLED:
        sinks.append(MaildirSink(settings.INBOX_MAILDIR, media))
    if settings.SMTP_URL is not None:
        target = parse_smtp_url(settings.SMTP_URL.get_secret_value())
        max_bytes = int(settings.SMTP_MAX_MESSAGE_MB * 1024 * 1024)
        sinks.append(
            SmtpSink(
                target,
                settings.INBOX_EMAIL_TO,
                settings.INBOX_EMAIL_FROM,
                media,
                settings.SMTP_CA_FILE,
                max_bytes,
            )
        )
    if settings.STAFF_TELEGRAM_CHAT_ID and bot is not None:
        sinks.append(TelegramStaffSink(bot, settings.STAFF_TELEGRAM_CHAT_ID, media, flows))
    if settings.INBOX_WEBHOOK_URL and settings.INBOX_WEBHOOK_SECRET is not None:
        secret = settings.INBOX_WEBHOOK_SECRET.get_secret_value()
        sinks.append(WebhookSink(settings.INBOX_WEBHOOK_URL, secret, media))
    return sinks
