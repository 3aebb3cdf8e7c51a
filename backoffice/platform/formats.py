"""Import formats that read what Chinese offices actually send, and refuse what is hostile.

- CSV arrives as bytes and is decoded here: UTF-8 (with or without the BOM Excel
  writes) or GB18030/GBK (what Excel "CSV" saves on a Chinese Windows).
- XLSX is inspected before any parser sees it: it must be a zip whose declared size,
  compression ratio and XML prologues are sane (no zip bomb, no DTD / entity tricks),
  and it must hold values, not formulas. It is then read with calamine (Rust), several
  times faster than openpyxl.
- Both cap the number of rows (``IMPORT_MAX_ROWS``).
- Both note where each row stood in the spreadsheet (:class:`SheetRows`: blank rows are
  skipped, so the n-th row read is not always row n + 1), so that errors name the row
  the user sees in Excel (the header is row 1).

Problems raise :class:`UnreadableFile`, whose message is shown to the user as is.
"""

import bisect
import csv
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


class SheetRows:
    """Where the rows of a dataset stood in the spreadsheet it was read from.

    Called with a row's number in the dataset (the first data row is 1, as import-export
    counts), it answers the spreadsheet's row number: the header's row plus the rows
    before it, blank rows the reader skipped included. A dataset made in code (no reader)
    gets the default: the header is row 1, no blank rows."""

    def __init__(self, header=1):
        self.header, self._count = header, 0
        self._starts, self._offsets = [], []  # from data row _starts[i]: + _offsets[i]

    def add(self, sheet_row: int) -> None:
        """The next data row was read from ``sheet_row``."""
        self._count += 1
        offset = sheet_row - self.header - self._count
        if offset != (self._offsets[-1] if self._offsets else 0):
            self._starts.append(self._count)
            self._offsets.append(offset)

    def __call__(self, number):
        if not isinstance(number, int):
            return number
        i = bisect.bisect_right(self._starts, number) - 1
        return self.header + number + (self._offsets[i] if i >= 0 else 0)


def sheet_rows(dataset) -> SheetRows:
    """The row numbers a reader noted on ``dataset`` (the default for one made in code)."""
    return getattr(dataset, "sheet_rows", None) or SheetRows()


_SHEET_TITLE = re.compile(r"[\[\]:*?/\\]")


def sheet_title(text) -> str:
    """``text`` as an Excel sheet's name: at most 31 characters, none of []:*?/\\."""
    return _SHEET_TITLE.sub(" ", str(text))[:31].strip() or "Sheet1"


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
        # tablib's CSV reading (the first record is the header, empty records are
        # skipped, short rows are padded), noting each row's record number
        records = csv.reader(io.StringIO(text))
        dataset = tablib.Dataset(headers=next(records))
        dataset.sheet_rows = numbers = SheetRows()
        for number, row in enumerate(records, 2):
            if row:
                if len(row) < dataset.width:
                    row += [""] * (dataset.width - len(row))
                dataset.append(row)
                numbers.add(number)
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
        # calamine yields the sheet from its row 1 (blank rows above the data included),
        # so a row's position is its row number.
        rows = ((number, row) for number, row in enumerate(sheet.iter_rows(), 1)
                if any(v not in ("", None) for v in row))
        header_row, header = next(rows, (None, None))
        if header is None:
            raise UnreadableFile(_("The file is empty."))
        width = len(header)
        dataset = tablib.Dataset(headers=[str(h).strip() if h is not None else "" for h in header])
        dataset.sheet_rows = numbers = SheetRows(header=header_row)
        limit = _max_rows()
        for count, (number, row) in enumerate(rows, 1):
            if count > limit:
                _check_rows(count + sum(1 for _ in rows))
            dataset.append(([_cell(v) for v in row] + [None] * width)[:width])
            numbers.add(number)
        return dataset


def _cell(value):
    """calamine gives floats for whole numbers typed as numbers (phone 13901010001.0)."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value
