"""A real IMAP server for the mail-intake tests: a private Dovecot on 127.0.0.1.

``dovecot`` (session) starts ``dovecot -F`` with its own configuration, a passwd-file user
and a maildir under a temporary directory; ``imap_mailbox`` (per test) empties the inbox
and points the MAIL_INTAKE_* settings at it. Without Dovecot the tests are skipped, except
under CI, where that is a failure. The benchmark reuses :func:`start_dovecot`.
"""

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

import pytest

USER, PASSWORD = "support", "secret"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = backoffice-test-{port}
log_path = {root}/dovecot.log
{users}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
mail_fsync = never
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.path.exists(p)),
        None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    """A running private Dovecot: connect, append, empty, and read what sessions cost."""

    def __init__(self, root: Path, port: int, process):
        self.root, self.port, self.process = root, port, process
        self.host, self.user, self.password = "127.0.0.1", USER, PASSWORD
        self.log_path = root / "dovecot.log"

    def connect(self):
        from imap_tools import MailBoxUnencrypted

        return MailBoxUnencrypted(self.host, self.port, timeout=30).login(
            self.user, self.password)

    def append(self, *messages, flags=()):
        """IMAP APPEND of each message (EmailMessage or bytes); returns their UIDs."""
        uids = []
        with self.connect() as box:
            for message in messages:
                data = message if isinstance(message, bytes) else message.as_bytes()
                result = box.append(data, "INBOX", flag_set=list(flags))
                found = re.search(rb"APPENDUID \d+ (\d+)", result[1][0] or b"")
                uids.append(found.group(1).decode() if found else None)
        return uids

    def clear(self):
        with self.connect() as box:
            uids = box.uids("ALL")
            if uids:
                box.delete(uids)

    def flags(self) -> dict:
        """UID -> flags of every mail in the inbox (read without downloading a body)."""
        with self.connect() as box:
            return {m.uid: set(m.flags) for m in
                    box.fetch("ALL", headers_only=True, mark_seen=False, bulk=True)}

    def log_mark(self, timeout=5.0) -> int:
        """Where the log ends once every session so far has written its logout line."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.log_path.read_bytes() if self.log_path.exists() else b""
            started = set(re.findall(rb": Login: .*session=<([^>]+)>", text))
            ended = set(re.findall(rb"imap\([^)]*\)<\d+><([^>]+)>: \w+: Disconnected", text))
            if started <= ended or time.monotonic() > deadline:
                return len(text)
            time.sleep(0.05)

    def sessions_since(self, offset: int, count=1, timeout=5.0) -> list[dict]:
        """The logout lines Dovecot wrote after ``offset``: bytes in/out and body bytes
        fetched per session (what a client really downloaded)."""
        deadline = time.monotonic() + timeout
        while True:
            with open(self.log_path, "rb") as handle:
                handle.seek(offset)
                text = handle.read().decode("utf-8", "replace")
            found = [{k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
                     for line in text.splitlines() if "Logged out" in line]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def settings(self, settings):
        settings.MAIL_INTAKE_HOST, settings.MAIL_INTAKE_PORT = self.host, self.port
        settings.MAIL_INTAKE_SSL = False
        settings.MAIL_INTAKE_USER, settings.MAIL_INTAKE_PASSWORD = self.user, self.password
        settings.MAIL_INTAKE_FOLDER = "INBOX"


@contextlib.contextmanager
def start_dovecot(binary: str | None = None):
    """Start a private Dovecot in the foreground; stop it and remove its files at the end."""
    binary = binary or dovecot_binary()
    if binary is None:
        raise FileNotFoundError("dovecot is not installed (apt-get install dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="dovecot-"))
    port = free_port()
    if os.geteuid() == 0:  # mail processes never run as root: they use an unprivileged uid
        account = _unprivileged_account()
        os.chmod(root, 0o755)
        (root / "mail").mkdir()
        os.chown(root / "mail", account.pw_uid, account.pw_gid)
        users = ""
    else:  # a rootless Dovecot: every process is the current user
        account = pwd.getpwuid(os.getuid())
        users = (f"default_internal_user = {account.pw_name}\n"
                 f"default_internal_group = {_group_name(account.pw_gid)}\n"
                 f"default_login_user = {account.pw_name}")
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, port=port, uid=account.pw_uid,
                                    gid=account.pw_gid, users=users))
    output = open(root / "output.txt", "wb")
    process = subprocess.Popen([binary, "-F", "-c", str(config)], stdout=output,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = Dovecot(root, port, process)
    try:
        _wait_for_greeting(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        output.close()
        shutil.rmtree(root, ignore_errors=True)


def _unprivileged_account():
    for name in ("nobody", "dovenull"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("no unprivileged account for Dovecot's mail processes")


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


def _wait_for_greeting(server: Dovecot, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            with socket.create_connection((server.host, server.port), timeout=1) as s:
                if s.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    log = ""
    for name in ("output.txt", "dovecot.log"):
        path = server.root / name
        log += path.read_text(errors="replace") if path.exists() else ""
    raise RuntimeError(f"Dovecot did not start on port {server.port}:\n{log}")


# -- fixtures ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def dovecot():
    binary = dovecot_binary()
    if binary is None:
        message = "Dovecot is not installed (apt-get install dovecot-imapd)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: required in CI")
        pytest.skip(message)
    with start_dovecot(binary) as server:
        yield server


@pytest.fixture
def imap_mailbox(dovecot, settings):
    """An empty inbox, with the reader's settings pointing at it."""
    dovecot.clear()
    dovecot.settings(settings)
    settings.SUPPORT_MAIL_ADDRESS = "support@example.com"
    return dovecot


# -- mails ------------------------------------------------------------------------------
def make_mail(sender="li.lei@customer.cn", subject="系统无法登录", text="登录时报错 500。",
              *, html=None, attachments=(), headers=None, to="support@example.com",
              message_id=None, charset="utf-8", sender_name="") -> EmailMessage:
    """A mail as a customer's client writes it: text and/or HTML, attachments
    (name, bytes, "type/subtype"), extra headers."""
    mail = EmailMessage()
    mail["From"] = formataddr((sender_name, sender), charset) if sender_name else sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(_now())
    mail["Message-ID"] = message_id or make_msgid(domain="customer.cn")
    for name, value in (headers or {}).items():
        mail[name] = value
    if text is not None:
        mail.set_content(text, charset=charset)
    if html is not None:
        if text is None:
            mail.set_content(html, subtype="html", charset=charset)
        else:
            mail.add_alternative(html, subtype="html", charset=charset)
    for name, data, content_type in attachments:
        maintype, subtype = content_type.split("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return mail


def gbk_mail(sender="wang@customer.cn", subject="打印机无法连接，请尽快处理",
             text="您好：\r\n打印服务一直报错，错误码 E-23。\r\n王先生", *, label="gbk") -> bytes:
    """A mail as an older Chinese client writes it: GBK bytes, base64, and an RFC 2047
    GBK subject; ``label`` is the charset it declares (often gb2312 for GBK text)."""
    import base64

    subject_word = Header(subject, "gbk").encode()
    body = base64.encodebytes(text.encode("gbk")).decode().replace("\n", "\r\n")
    name_word = Header("王先生", "gbk").encode()
    return (f"From: {name_word} <{sender}>\r\nTo: support@example.com\r\n"
            f"Subject: {subject_word}\r\nDate: {format_datetime(_now())}\r\n"
            f"Message-ID: {make_msgid(domain='customer.cn')}\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset={label}\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{body}").encode("ascii")


def big_mail(size: int, sender="li.lei@customer.cn") -> bytes:
    """A plain mail of about ``size`` bytes (a log pasted into the body)."""
    head = (f"From: {sender}\r\nTo: support@example.com\r\nSubject: huge log\r\n"
            f"Date: {format_datetime(_now())}\r\nMessage-ID: {make_msgid(domain='customer.cn')}"
            "\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n").encode()
    line = b"2026-01-01 12:00:00 ERROR something went wrong in the service, again\r\n"
    return head + line * (size // len(line) + 1)


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(microsecond=0)


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
       b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05"
       b"\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
