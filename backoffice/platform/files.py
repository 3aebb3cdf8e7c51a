"""Uploaded files that are personal or confidential: what is accepted, where they are
stored, and how they are served.

Such files are never served from ``MEDIA_URL``: a :class:`PrivateStorage` names an admin
view in its ``url()``, and that view checks that the viewer may see the record the file
belongs to. Uploads are checked by extension, by their first bytes (a renamed .exe is
refused, a "text" file holding binary too) and by size.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.urls import reverse
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

#: what the first bytes of each binary type look like
MAGIC = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "ogg": (b"OggS",),
}
#: recordings of calls: MP3 (an ID3 tag or an MPEG audio frame), WAV (RIFF … WAVE), M4A
#: (an MP4 "ftyp" box), Ogg; checked by :func:`looks_like` like the types above
AUDIO = {"mp3", "wav", "m4a", "ogg"}
#: plain-text types: any bytes but NUL, in UTF-8 or GB18030 (which covers GBK)
TEXT = {"txt", "log", "csv", "json", "xml", "ini", "conf", "sql"}
CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "jpeg": "image/jpeg",
                 "png": "image/png", "gif": "image/gif", "webp": "image/webp",
                 "zip": "application/zip", "json": "application/json",
                 "xml": "application/xml", "csv": "text/csv", "mp3": "audio/mpeg",
                 "wav": "audio/wav", "m4a": "audio/mp4", "ogg": "audio/ogg"}


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def content_type(name: str) -> str:
    ext = extension(name)
    return CONTENT_TYPES.get(ext, "text/plain; charset=utf-8" if ext in TEXT
                             else "application/octet-stream")


def looks_like(ext: str, head: bytes) -> bool:
    """Whether the first bytes of a file fit its extension."""
    if ext in TEXT:
        if b"\x00" in head:
            return False
        for encoding in ("utf-8", "gb18030"):
            try:
                head.decode(encoding)
                return True
            except UnicodeDecodeError as exc:  # a character cut at the end is fine
                if exc.start >= len(head) - 4:
                    return True
        return False
    if ext == "webp":
        return head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    if ext == "wav":
        return head.startswith(b"RIFF") and head[8:12] == b"WAVE"
    if ext == "m4a":
        return head[4:8] == b"ftyp"
    if ext == "mp3":  # an ID3v2 tag, or the 11 sync bits of an MPEG audio frame
        return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF
                                           and head[1] & 0xE0 == 0xE0)
    return head.startswith(MAGIC.get(ext, (b"\x00\x00never",)))


@deconstructible
class FileTypeValidator:
    """Type (extension and first bytes) and size of an upload.

    ``extensions``: the accepted extensions; ``max_bytes_setting``: the setting holding
    the size limit (``default`` when unset); ``kind``: what the file is called in the
    messages ("receipt", "attachment")."""

    messages = {
        "type": _("%(kind)s files must be %(types)s (got “%(name)s”)."),
        "size": _("The file is %(size).1f MB; the limit is %(limit).1f MB."),
        "empty": _("The file “%(name)s” is empty."),
        "content": _("“%(name)s” is not really a %(ext)s file."),
    }
    code_prefix = "file"

    def __init__(self, extensions, max_bytes_setting, default, kind=""):
        self.extensions = tuple(extensions)
        self.max_bytes_setting, self.default, self.kind = max_bytes_setting, default, kind

    def max_bytes(self) -> int:
        return int(getattr(settings, self.max_bytes_setting, self.default))

    def _error(self, key, **params):
        return ValidationError(self.messages[key], code=f"{self.code_prefix}_{key}",
                               params=params)

    def __call__(self, file):
        ext = extension(file.name)
        if ext not in self.extensions:
            raise self._error("type", name=file.name, kind=self.kind,
                              types=", ".join(e.upper() for e in self.extensions))
        size = getattr(file, "size", 0) or 0
        if size > self.max_bytes():
            raise self._error("size", size=size / 1e6, limit=self.max_bytes() / 1e6)
        if size == 0:
            raise self._error("empty", name=file.name)
        if getattr(file, "_committed", False) is not True:  # a fresh upload: sniff its bytes
            position = file.tell() if hasattr(file, "tell") else 0
            file.seek(0)
            head = file.read(512)
            file.seek(position)
            if not looks_like(ext, head):
                raise self._error("content", name=file.name, ext=ext.upper())

    def __eq__(self, other):
        return (type(other) is type(self) and other.extensions == self.extensions
                and other.max_bytes_setting == self.max_bytes_setting)


def random_path(folder: str, filename: str) -> str:
    """<folder>/2026/03/<random>.<ext> - never the uploader's file name (it may leak data)."""
    today = timezone.localdate()
    return f"{folder}/{today:%Y/%m}/{uuid.uuid4().hex}.{extension(filename) or 'bin'}"


@deconstructible
class PrivateStorage(FileSystemStorage):
    """Files under MEDIA_ROOT whose links go through a permission-checked admin view
    (``url_name``, called with the file's stored name)."""

    def __init__(self, url_name: str, **kwargs):
        self.url_name = url_name
        super().__init__(**kwargs)

    def url(self, name):
        return reverse(self.url_name, args=[name])

    def __eq__(self, other):
        return isinstance(other, PrivateStorage) and other.url_name == self.url_name


def serve(fieldfile, filename: str, content_type_: str = ""):
    """A private file as a response: never cached by proxies, never sniffed into HTML,
    images, PDFs and recordings shown inline (played in the page), everything else
    downloaded."""
    from django.http import FileResponse

    kind = content_type_ or content_type(filename)
    inline = kind.startswith(("image/", "audio/")) or kind == "application/pdf"
    response = FileResponse(fieldfile.open("rb"), content_type=kind, as_attachment=not inline,
                            filename=filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
