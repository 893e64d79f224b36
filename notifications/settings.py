"""Delivery settings, read from the environment once per delivery run (cheap, testable, documented).

SMTP (for the ``email`` channel):
    DUTYFLOW_SMTP_HOST      SMTP server host name (required for email)
    DUTYFLOW_SMTP_PORT      port (default: 465 with TLS=ssl, 587 with starttls, 25 with none)
    DUTYFLOW_SMTP_USER      login user (optional; no login when empty)
    DUTYFLOW_SMTP_PASSWORD  login password
    DUTYFLOW_SMTP_FROM      sender address (default: the user, or dutyflow@<host>)
    DUTYFLOW_SMTP_TLS       ssl | starttls | none (default starttls)

Retry policy:
    DUTYFLOW_NOTIFY_MAX_ATTEMPTS    failures on one channel before falling back (default 5)
    DUTYFLOW_NOTIFY_BACKOFF_SECONDS first retry delay, doubled each time (default 30)
    DUTYFLOW_NOTIFY_BACKOFF_MAX_SECONDS cap of the delay (default 3600)
    DUTYFLOW_NOTIFY_JITTER          extra delay as a fraction of the delay, 0..1 (default 0.2; deterministic)
    DUTYFLOW_NOTIFY_LEASE_SECONDS   how long a claimed message is reserved for its worker (default 300)
    DUTYFLOW_NOTIFY_BATCH           messages claimed at a time by one worker (default 25)
    DUTYFLOW_NOTIFY_CONCURRENCY     sends in flight at once within one worker (default 4)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os

TLS_MODES = {"ssl": "ssl", "starttls": "starttls", "none": "insecure"}
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}


class SettingsError(ValueError):
    """An environment setting is malformed; the message names the variable."""


@dataclasses.dataclass(frozen=True)
class SmtpSettings:
    host: str | None
    port: int
    user: str | None
    password: str | None
    sender: str | None
    tls: str  # ssl | starttls | none

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SmtpSettings:
        env = dict(os.environ if env is None else env)
        tls = env.get("DUTYFLOW_SMTP_TLS", "starttls").strip().lower() or "starttls"
        if tls not in TLS_MODES:
            raise SettingsError(f"DUTYFLOW_SMTP_TLS must be one of ssl, starttls, none; got {tls!r}")
        return cls(
            host=env.get("DUTYFLOW_SMTP_HOST") or None,
            port=_int(env, "DUTYFLOW_SMTP_PORT", DEFAULT_PORTS[tls], minimum=1),
            user=env.get("DUTYFLOW_SMTP_USER") or None,
            password=env.get("DUTYFLOW_SMTP_PASSWORD") or None,
            sender=env.get("DUTYFLOW_SMTP_FROM") or None,
            tls=tls,
        )


@dataclasses.dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 5
    backoff: dt.timedelta = dt.timedelta(seconds=30)
    backoff_max: dt.timedelta = dt.timedelta(hours=1)
    jitter: float = 0.2
    lease: dt.timedelta = dt.timedelta(minutes=5)
    batch_size: int = 25  # messages claimed per round trip; a lease covers one batch
    concurrency: int = 4  # sends in flight at once within one worker

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> DeliveryPolicy:
        env = dict(os.environ if env is None else env)
        jitter_text = env.get("DUTYFLOW_NOTIFY_JITTER", "0.2")
        try:
            jitter = float(jitter_text)
        except ValueError:
            raise SettingsError(f"DUTYFLOW_NOTIFY_JITTER must be a number from 0 to 1; got {jitter_text!r}") from None
        if not 0 <= jitter <= 1:
            raise SettingsError(f"DUTYFLOW_NOTIFY_JITTER must be a number from 0 to 1; got {jitter_text!r}")
        return cls(
            max_attempts=_int(env, "DUTYFLOW_NOTIFY_MAX_ATTEMPTS", 5, minimum=1),
            backoff=dt.timedelta(seconds=_int(env, "DUTYFLOW_NOTIFY_BACKOFF_SECONDS", 30, minimum=0)),
            backoff_max=dt.timedelta(seconds=_int(env, "DUTYFLOW_NOTIFY_BACKOFF_MAX_SECONDS", 3600, minimum=0)),
            jitter=jitter,
            lease=dt.timedelta(seconds=_int(env, "DUTYFLOW_NOTIFY_LEASE_SECONDS", 300, minimum=1)),
            batch_size=_int(env, "DUTYFLOW_NOTIFY_BATCH", 25, minimum=1),
            concurrency=_int(env, "DUTYFLOW_NOTIFY_CONCURRENCY", 4, minimum=1),
        )

    def retry_delay(self, failures: int, key: str) -> dt.timedelta:
        """Delay before the next try after ``failures`` failures (1, 2, ...): exponential, capped, jittered.

        The jitter is derived from the message's key and the failure count, not a random generator, so two
        workers agree on it and a test with an injected ``now`` can predict it; different messages still
        spread out instead of retrying in lockstep against a recovering server.
        """
        delay = min(self.backoff * (2 ** max(failures - 1, 0)), self.backoff_max)
        digest = hashlib.sha256(f"{key}|{failures}".encode()).digest()
        fraction = int.from_bytes(digest[:8], "big") / 2**64
        return delay + delay * (self.jitter * fraction)


def _int(env: dict[str, str], name: str, default: int, *, minimum: int) -> int:
    text = env.get(name)
    if text is None or text.strip() == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number; got {text!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}; got {value}")
    return value
