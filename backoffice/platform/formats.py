"""Import formats that read what Chinese offices actually send, and refuse what is hostile.

- CSV arrives as bytes and is decoded here: UTF-8 (with or without the BOM Excel
  writes) or GB18030/GBK (what Excel "CSV" saves on a Chinese Windows).
- XLSX is inspected before any parser sees it: it must be a zip whose declared size,
  compression ratio and XML prologues are sane (no zip bomb, no DTD / entity tricks),
  and it must hold values, not formulas. It is then read with calamine (Rust), several
  times faster than openpyxl.
- Both cap the number of rows (``IMPORT_MAX_ROWS``).

Problems raise :class:`UnreadableFile`, whose message is shown to the user as is.
"""

import io
import re
import zipfile

import tablib
from django.conf import settings
from django.utils.translation import gettext as _
from import_export.formats import base_formats


class UnreadableFile(ValueError):
    """A file we refuse to read, with a message meant for the person who uploaded it."""


def _max_rows():
    return settings.IMPORT_MAX_ROWS


def _check_rows(count):
    if count > _max_rows():
        raise UnreadableFile(_("The file has %(rows)s rows; at most %(max)s can be imported "
                               "at once. Split it into smaller files.")
                             % {"rows": count, "max": _max_rows()})


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM optional) first, then the Chinese legacy encodings."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(_("The file's text encoding is not recognised: save it as "
                           "UTF-8 or GBK CSV, or as an Excel .xlsx file."))


class CSV(base_formats.CSV):
    def is_binary(self):
        return True  # hand us the bytes: the encoding is detected in create_dataset

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        text = decode_text(in_stream) if isinstance(in_stream, bytes) else in_stream
        if not text.strip():
            raise UnreadableFile(_("The file is empty."))
        dataset = tablib.import_set(text, format="csv")
        _check_rows(dataset.height)
        return dataset


XML_PROLOGUE_BYTES = 64 * 1024
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")


def inspect_xlsx(data: bytes) -> None:
    """Refuse zip bombs, XML bombs and formula-bearing workbooks before parsing."""
    limit = settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnreadableFile(_("This is not an Excel .xlsx file."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > 10_000:
                raise UnreadableFile(_("The .xlsx file has an implausible structure."))
            declared = sum(m.file_size for m in members)
            if declared > limit:
                raise UnreadableFile(
                    _("The .xlsx file unpacks to %(size)d MB; at most %(max)d MB is accepted.")
                    % {"size": declared // 1_000_000, "max": limit // 1_000_000})
            for m in members:
                if m.file_size > 1_000_000 and m.file_size > 200 * max(m.compress_size, 1):
                    raise UnreadableFile(_("The .xlsx file is compressed suspiciously well "
                                           "(a “zip bomb”?) and was refused."))
            for m in members:
                if not m.filename.endswith((".xml", ".rels")):
                    continue
                with archive.open(m) as part:
                    if _DTD.search(part.read(XML_PROLOGUE_BYTES)):
                        raise UnreadableFile(_("The .xlsx file contains XML declarations "
                                               "that are not allowed (DTD/entities)."))
            for m in members:
                if m.filename.startswith("xl/worksheets/") and m.filename.endswith(".xml"):
                    _refuse_formulas(archive, m)
    except zipfile.BadZipFile as exc:
        raise UnreadableFile(_("The .xlsx file is damaged.")) from exc


def _refuse_formulas(archive, member):
    read = 0
    tail = b""
    limit = settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES
    with archive.open(member) as part:
        while chunk := part.read(1 << 20):
            read += len(chunk)
            if read > limit:  # the declared size lied
                raise UnreadableFile(_("The .xlsx file is larger than declared and was refused."))
            if _FORMULA.search(tail + chunk):
                raise UnreadableFile(_("The spreadsheet contains formulas. Copy the cells and "
                                       "“paste values only”, then import it again."))
            tail = chunk[-8:]


class XLSX(base_formats.XLSX):
    def create_dataset(self, in_stream):
        from python_calamine import CalamineWorkbook

        inspect_xlsx(in_stream)
        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(in_stream))
            sheet = book.get_sheet_by_index(0)
        except Exception as exc:  # calamine's own errors: damaged or not a workbook
            raise UnreadableFile(_("The .xlsx file could not be read: %(error)s")
                                 % {"error": exc}) from exc
        # Row by row into the dataset: no intermediate copy of the whole sheet in Python.
        rows = (row for row in sheet.iter_rows() if any(v not in ("", None) for v in row))
        header = next(rows, None)
        if header is None:
            raise UnreadableFile(_("The file is empty."))
        width = len(header)
        dataset = tablib.Dataset(headers=[str(h).strip() if h is not None else "" for h in header])
        limit = _max_rows()
        for count, row in enumerate(rows, 1):
            if count > limit:
                _check_rows(count + sum(1 for _ in rows))
            dataset.append(([_cell(v) for v in row] + [None] * width)[:width])
        return dataset


def _cell(value):
    """calamine gives floats for whole numbers typed as numbers (phone 13901010001.0)."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value
