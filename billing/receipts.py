"""Receipt files: what is accepted, where they are stored, and who may open them.

Receipts are personal financial documents, so they are not served from ``MEDIA_URL``:
the storage's ``url()`` points at an admin view that checks the viewer may see the claim.
Uploads are checked by extension, by their first bytes (a renamed .exe is refused) and
by size (``BILLING_RECEIPT_MAX_BYTES``, 5 MB by default).
"""

import uuid

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.urls import reverse
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

ALLOWED = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "jpeg": "image/jpeg",
                 "png": "image/png"}


def max_bytes() -> int:
    return int(getattr(settings, "BILLING_RECEIPT_MAX_BYTES", 5 * 1024 * 1024))


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


@deconstructible
class ReceiptValidator:
    """Type (extension and magic bytes) and size of an uploaded receipt."""

    def __call__(self, file):
        ext = extension(file.name)
        if ext not in ALLOWED:
            raise ValidationError(
                _("Receipts must be PDF, JPG or PNG files (got “%(name)s”)."),
                code="receipt_type", params={"name": file.name})
        size = getattr(file, "size", 0) or 0
        if size > max_bytes():
            raise ValidationError(
                _("The receipt is %(size).1f MB; the limit is %(limit).1f MB."),
                code="receipt_size", params={"size": size / 1e6, "limit": max_bytes() / 1e6})
        if size == 0:
            raise ValidationError(_("The receipt file is empty."), code="receipt_empty")
        if getattr(file, "_committed", False) is not True:  # a fresh upload: sniff its bytes
            position = file.tell() if hasattr(file, "tell") else 0
            file.seek(0)
            head = file.read(16)
            file.seek(position)
            if not head.startswith(ALLOWED[ext]):
                raise ValidationError(
                    _("“%(name)s” is not really a %(ext)s file."),
                    code="receipt_content", params={"name": file.name, "ext": ext.upper()})

    def __eq__(self, other):
        return isinstance(other, ReceiptValidator)


def receipt_path(line, filename: str) -> str:
    """receipts/2026/03/<random>.pdf - never the uploader's file name (it may leak data)."""
    from django.utils import timezone

    today = timezone.localdate()
    return f"receipts/{today:%Y/%m}/{uuid.uuid4().hex}.{extension(filename) or 'bin'}"


class ReceiptStorage(FileSystemStorage):
    """Files under MEDIA_ROOT whose links go through the permission-checked view."""

    def url(self, name):
        return reverse("admin:billing_expenseline_receipt", args=[name])


def receipt_storage():
    return ReceiptStorage()


# -- a receipt kept while its form comes back with an error ----------------------------------
# A browser never sends a file twice: when the claim page comes back with an error elsewhere,
# the receipt the user chose would be gone. A checked upload is therefore stored at once
# under a pending name (never served: the receipt view serves only receipts of claim lines),
# and the page carries a signed token naming it; saving the corrected form attaches it.
PENDING_DIR = "receipts/pending"
_KEPT_SALT = "billing.receipts.kept"
KEPT_MAX_AGE = 24 * 3600  # seconds a kept receipt can be attached


def keep_upload(upload, user) -> tuple[str, str]:
    """Store a checked upload under a pending name: (that name, the signed token naming it,
    good for ``user`` only)."""
    upload.seek(0)
    name = receipt_storage().save(
        f"{PENDING_DIR}/{uuid.uuid4().hex}.{extension(upload.name) or 'bin'}", upload)
    upload.seek(0)
    return name, signing.dumps({"n": name, "o": upload.name, "u": user.pk}, salt=_KEPT_SALT)


def kept_upload(token: str, user) -> tuple[str, str] | None:
    """(pending name, original file name) of a receipt this user's earlier post kept; None
    for a forged, expired or someone else's token, or a file no longer there."""
    try:
        data = signing.loads(token, salt=_KEPT_SALT, max_age=KEPT_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    name = str(data.get("n") or "")
    if (user is None or data.get("u") != user.pk or not name.startswith(PENDING_DIR + "/")
            or ".." in name or not receipt_storage().exists(name)):
        return None
    return name, str(data.get("o") or name.rsplit("/", 1)[-1])


def discard_kept(name: str) -> None:
    if name.startswith(PENDING_DIR + "/"):
        receipt_storage().delete(name)
