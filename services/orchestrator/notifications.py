"""Seed 003's email when a job ends, over SMTP (SMTP_SERVER, SMTP_PORT, SMTP_USER,
SMTP_PASSWORD as in seed 003; SMTP_FROM, SMTP_STARTTLS).

A durable consumer of the job events, apart from the one that updates rows:
a crash before the send leaves the event unacked, so the email goes out after
the restart. The row is an outbox: a claim with a lease while sending, then
the sent mark, so two consumers never send at once and a crash mid-send is
retried after the lease (at least once, never silently dropped).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from email.message import EmailMessage

from nats.js import JetStreamContext

from backdrop.jobs.v1 import jobs_pb2
from services.orchestrator.store import JobStore
from services.runtime import logs, messaging
from services.runtime.config import env_bool, env_int, env_str

log = logging.getLogger(__name__)
CONSUMER = messaging.EMAIL_CONSUMER
TERMINAL = (jobs_pb2.JOB_STATUS_COMPLETED, jobs_pb2.JOB_STATUS_FAILED)


def compose(job: jobs_pb2.Job, base_url: str, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = job.notify_email
    if job.status == jobs_pb2.JOB_STATUS_COMPLETED:
        message["Subject"] = "Your image is ready"
        message.set_content(
            f"Your background removal {job.id} has finished.\n\n"
            f"Download it (sign in with the same account): {base_url}/download/{job.id}\n"
        )
    else:
        message["Subject"] = "Your image could not be processed"
        message.set_content(f"Processing {job.id} failed: {job.error_message or job.error_code}.\n")
    return message


def send(message: EmailMessage) -> None:
    server, port = env_str("SMTP_SERVER"), env_int("SMTP_PORT", 587)
    with smtplib.SMTP(server, port, timeout=20) as smtp:
        if env_bool("SMTP_STARTTLS", port == 587):
            smtp.starttls()
        user = env_str("SMTP_USER", "")
        if user:
            smtp.login(user, env_str("SMTP_PASSWORD", ""))
        smtp.send_message(message)


async def consume(js: JetStreamContext, store: JobStore) -> None:
    if not env_str("SMTP_SERVER", ""):
        log.info("SMTP_SERVER is not set: job emails are off")
        return
    base_url = env_str("PUBLIC_BASE_URL", f"http://127.0.0.1:{env_str('BACKDROP_HTTP_PORT', '8080')}").rstrip("/")
    sender = env_str("SMTP_FROM", env_str("SMTP_USER", "") or "backdrop@localhost")

    async def notify(msg) -> bool:
        event = jobs_pb2.JobEvent.FromString(msg.data)
        if event.status not in TERMINAL:
            return True
        current = await store.get(event.job_id)
        if current is None or not current.notify_email:
            return True
        if current.status not in TERMINAL:
            return False  # the row is not updated yet: try again shortly
        job, sent = await store.claim_email(event.job_id)
        if job is None:
            return sent  # sent already, or being sent by another: look again after its lease
        try:
            await asyncio.to_thread(send, compose(job, base_url, sender))
        except (OSError, smtplib.SMTPException) as error:
            await store.unclaim_email(job.id)
            log.warning("email not sent; will retry", extra=logs.fields(job_id=job.id, error=str(error)))
            return False
        await store.mark_emailed(job.id)
        log.info("job email sent", extra=logs.fields(job_id=job.id))
        return True

    await messaging.consume(js, CONSUMER, messaging.EVENTS_STREAM, f"{messaging.EVENTS_SUBJECT}.>", notify)
