"""Apprise's e-mail plugin builds a verifying TLS context for every message, TLS or not.

Building it loads the system's CA bundle: ~60 ms of CPU on the duty office's machines, for every escalation
mail, and wasted on a relay reached without TLS (the context is then never used). Here the plugin gets the
same context, whose CA bundle is loaded when a connection first wraps a socket with it. Verification is as
strict as before: the default is ``CERT_REQUIRED`` with host names checked, and the plugin's own
``verify=no`` still switches both off before any use.
"""

from __future__ import annotations

import ssl
import types
from typing import Any


class CaOnFirstUseContext(ssl.SSLContext):
    """``ssl.create_default_context()`` for a client, except that the CA bundle loads on first use."""

    _ca_loaded = False

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        self._load_ca()
        return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        self._load_ca()
        return super().wrap_bio(*args, **kwargs)

    def _load_ca(self) -> None:
        if not self._ca_loaded:
            if self.verify_mode != ssl.CERT_NONE:
                self.load_default_certs(ssl.Purpose.SERVER_AUTH)
            self._ca_loaded = True


def create_default_context(purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH, **kwargs: Any) -> ssl.SSLContext:
    """The standard library's function, lazily certified for the one case the plugin uses (no arguments)."""
    if purpose != ssl.Purpose.SERVER_AUTH or kwargs:
        return ssl.create_default_context(purpose, **kwargs)
    return CaOnFirstUseContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and check_hostname, as the default


def install(module: types.ModuleType) -> None:
    """Give ``module`` (apprise's e-mail plugin) an ``ssl`` whose ``create_default_context`` is the lazy one."""
    module.ssl = types.SimpleNamespace(**{**vars(ssl), "create_default_context": create_default_context})
