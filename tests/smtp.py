"""A real SMTP server for the mail tests: aiosmtpd on 127.0.0.1, in a thread.

``smtp_server`` runs one server for the test session; ``smtp_settings`` points Django's
SMTP backend at it for one test and returns the messages received during that test
(``email.message.EmailMessage`` objects), with ``wait_for(n)`` to block until n arrived.
``closed_smtp_port`` is a port where nobody listens (a mail server that is down).
"""

import socket
import threading
import time
from email import message_from_bytes, policy

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox(list):
    """The messages received so far; the server's thread appends, tests read."""

    def __init__(self):
        super().__init__()
        self.arrived = threading.Condition()

    def add(self, message):
        with self.arrived:
            self.append(message)
            self.arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list:
        """Block until ``count`` messages arrived (AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self)} of {count} mails arrived in {timeout} s")
                self.arrived.wait(left)
        return list(self)


class CollectingHandler:
    """aiosmtpd handler: parse every accepted message into the current inbox."""

    def __init__(self):
        self.inbox = Inbox()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content,
                                     policy=policy.default)
        message.envelope_to = list(envelope.rcpt_tos)
        self.inbox.add(message)
        return "250 OK"


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller

    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def smtp_settings(smtp_server, settings):
    """Django mails go to the test SMTP server; returns this test's received messages."""
    smtp_server.handler.inbox = Inbox()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.hostname
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return smtp_server.handler.inbox


@pytest.fixture
def closed_smtp_port(settings):
    """Django mails go to a port where no server listens (connection refused)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2
    return settings.EMAIL_PORT
