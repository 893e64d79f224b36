"""E-mail over STARTTLS and SMTPS to a real aiosmtpd peer with its own certificate: the lazily certified TLS
context (notifications/lazy_tls.py) verifies as strictly as the standard one, and loads no CA bundle for a
relay reached without TLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from notifications import lazy_tls
from notifications.channels import apprise_url
from notifications.sender import send
from notifications.settings import SmtpSettings
from tests.notifications_helpers import _MailHandler, free_port, smtp_server


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no system store trusts."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dutyflow test relay")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "relay.pem", tmp_path / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@contextmanager
def _tls_relay(cert: Path, key: Path, mode: str) -> Iterator[tuple[int, list]]:
    from aiosmtpd.controller import Controller

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = _MailHandler()
    if mode == "starttls":
        controller = Controller(
            handler, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True
        )
    else:
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), server_hostname="127.0.0.1",
                                ssl_context=context)  # fmt: skip
    controller.start()
    try:
        yield controller.port, handler.mails
    finally:
        controller.stop()


def _mail(port: int, tls: str) -> str:
    smtp = SmtpSettings(host="127.0.0.1", port=port, user=None, password=None, sender="duty@example.org", tls=tls)
    return apprise_url("email", "leader@example.org", smtp)


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_an_untrusted_relay_is_refused_and_a_trusted_one_gets_the_mail(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = _self_signed(tmp_path)
    with _tls_relay(cert, key, mode) as (port, mails):
        refused = send(_mail(port, mode), "值班提醒", "untrusted")
        assert not refused.ok and mails == []
        # The CA bundle is read when the connection is made: the relay's certificate, trusted from now on.
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        sent = send(_mail(port, mode), "值班提醒", "trusted")
        assert sent.ok, sent.error
        assert [m.text.strip() for m in mails] == ["trusted"]


def test_a_relay_without_tls_loads_no_ca_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[ssl.SSLContext] = []
    real_load = ssl.SSLContext.load_default_certs

    def counted(self: ssl.SSLContext, *args: object) -> None:
        loads.append(self)
        real_load(self, *args)

    monkeypatch.setattr(ssl.SSLContext, "load_default_certs", counted)
    with smtp_server() as (port, mails):
        assert send(_mail(port, "none"), "值班提醒", "plain").ok
    assert [m.text.strip() for m in mails] == ["plain"]
    assert loads == []


def test_the_lazy_context_is_the_standard_client_context() -> None:
    lazy, standard = lazy_tls.create_default_context(), ssl.create_default_context()
    assert (lazy.verify_mode, lazy.check_hostname) == (standard.verify_mode, standard.check_hostname)
    assert (lazy.minimum_version, lazy.options) == (standard.minimum_version, standard.options)
    assert lazy.cert_store_stats()["x509_ca"] == 0
    lazy._load_ca()
    assert lazy.cert_store_stats() == standard.cert_store_stats()
