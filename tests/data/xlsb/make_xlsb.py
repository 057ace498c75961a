#!/usr/bin/env python3
"""Write minimal Excel Binary Workbooks (.xlsb) for warmly's tests.

An .xlsb is a zip of binary BIFF12 record streams (MS-XLSB). Each record is
    type    1-2 bytes, 7 bits each, low bits first, high bit = "more follows"
    size    1-4 bytes, same encoding
    payload `size` bytes
Only what calamine 0.38 reads is written:
    xl/workbook.bin            the sheets (BrtBundleSh), each by relationship id
    xl/_rels/workbook.bin.rels relationship id -> xl/worksheets/sheetN.bin
    xl/sharedStrings.bin       the shared string table (BrtSSTItem)
    xl/worksheets/sheet1.bin   dimension, rows and cells
plus [Content_Types].xml and _rels/.rels, which calamine ignores but every
real package has. xl/styles.bin is left out: calamine reads it only if
present (without it every number is a plain number, not a date).

Usage: make_xlsb.py [OUT_DIR]   (default: the script's own folder)
Writes good.xlsb, three broken variants that calamine 0.38 panics on, and
far-column.xlsb, one row as wide as eight million columns.
"""
import os
import struct
import sys
import zipfile

# Record types (MS-XLSB 2.3.2)
BRT_ROW_HDR = 0x0000
BRT_CELL_REAL = 0x0005
BRT_CELL_ST = 0x0006
BRT_CELL_ISST = 0x0007
BRT_SST_ITEM = 0x0013
BRT_BEGIN_SHEET = 0x0081
BRT_END_SHEET = 0x0082
BRT_BEGIN_BOOK = 0x0083
BRT_END_BOOK = 0x0084
BRT_BEGIN_BUNDLE_SHS = 0x008F
BRT_END_BUNDLE_SHS = 0x0090
BRT_BEGIN_SHEET_DATA = 0x0091
BRT_END_SHEET_DATA = 0x0092
BRT_WS_DIM = 0x0094
BRT_BUNDLE_SH = 0x009C
BRT_BEGIN_SST = 0x009F
BRT_END_SST = 0x00A0


def varint(n, max_bytes):
    """n in 7-bit groups, low group first, high bit set on all but the last."""
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            break
    assert len(out) <= max_bytes, "value too large for its varint"
    return bytes(out)


def record(rtype, payload=b""):
    return varint(rtype, 2) + varint(len(payload), 4) + payload


def wide_str(s):
    """XLWideString: character count (u32), then UTF-16LE."""
    data = s.encode("utf-16-le")
    return struct.pack("<I", len(data) // 2) + data


def cell(col):
    """Cell header: column (u32), style index (24 bits, 0 = default) and flags."""
    return struct.pack("<II", col, 0)


class SharedIndex(int):
    """A cell written as BrtCellIsst with this exact index into the shared
    string table, valid or not."""


class Inline(str):
    """A text cell written as an inline string (BrtCellSt)."""


class At(Inline):
    """An inline text cell at column `col`, not at its place in the row."""

    def __new__(cls, col, text):
        cell = super().__new__(cls, text)
        cell.col = col
        return cell


def sheet_bin(rows, sst, dim_size=16):
    """Worksheet stream. Plain str cells go to the shared string table `sst`
    (a list, extended here), Inline cells are written in place, numbers as
    BrtCellReal. dim_size < 16 truncates the BrtWsDim record."""
    last_col = max(len(r) for r in rows) - 1
    dim = struct.pack("<4I", 0, len(rows) - 1, 0, last_col)  # rows, then columns
    out = [record(BRT_BEGIN_SHEET), record(BRT_WS_DIM, dim[:dim_size]),
           record(BRT_BEGIN_SHEET_DATA)]
    for r, values in enumerate(rows):
        # BrtRowHdr: row, style, height (twips), 3 flag bytes, no column spans
        out.append(record(BRT_ROW_HDR, struct.pack("<IIH3xI", r, 0, 300, 0)))
        for c, v in enumerate(values):
            c = getattr(v, "col", c)
            if isinstance(v, SharedIndex):
                out.append(record(BRT_CELL_ISST, cell(c) + struct.pack("<I", v)))
            elif isinstance(v, Inline):
                out.append(record(BRT_CELL_ST, cell(c) + wide_str(v)))
            elif isinstance(v, str):
                if v not in sst:
                    sst.append(v)
                out.append(record(BRT_CELL_ISST, cell(c) + struct.pack("<I", sst.index(v))))
            else:
                out.append(record(BRT_CELL_REAL, cell(c) + struct.pack("<d", v)))
    out += [record(BRT_END_SHEET_DATA), record(BRT_END_SHEET)]
    return b"".join(out)


def shared_strings_bin(sst):
    # BrtBeginSst: total references and unique count (calamine reads the latter)
    out = [record(BRT_BEGIN_SST, struct.pack("<II", len(sst), len(sst)))]
    # BrtSSTItem: flags byte (no rich text, no phonetics), then the text
    out += [record(BRT_SST_ITEM, b"\x00" + wide_str(s)) for s in sst]
    out.append(record(BRT_END_SST))
    return b"".join(out)


def workbook_bin(sheet_name, rel_id):
    # BrtBundleSh: visible (0), tab id, relationship id, sheet name
    sheet = struct.pack("<II", 0, 1) + wide_str(rel_id) + wide_str(sheet_name)
    return b"".join([
        record(BRT_BEGIN_BOOK),
        record(BRT_BEGIN_BUNDLE_SHS),
        record(BRT_BUNDLE_SH, sheet),
        record(BRT_END_BUNDLE_SHS),
        record(BRT_END_BOOK),  # calamine stops reading the workbook here
    ])


CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>
<Override PartName="/xl/worksheets/sheet1.bin" ContentType="application/vnd.ms-excel.worksheet"/>
<Override PartName="/xl/sharedStrings.bin" ContentType="application/vnd.ms-excel.sharedStrings"/>
</Types>
"""

PACKAGE_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/>
</Relationships>
"""

WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.bin"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.bin"/>
</Relationships>
"""


def write_xlsb(path, rows, sheet_name="Kunden", rel_id="rId1", dim_size=16):
    """One-sheet workbook. rel_id is the relationship the sheet is named by
    in workbook.bin; WORKBOOK_RELS only defines rId1 (sheet) and rId2."""
    sst = []
    sheet = sheet_bin(rows, sst, dim_size)
    parts = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", PACKAGE_RELS),
        ("xl/workbook.bin", workbook_bin(sheet_name, rel_id)),
        ("xl/_rels/workbook.bin.rels", WORKBOOK_RELS),
        ("xl/worksheets/sheet1.bin", sheet),
        ("xl/sharedStrings.bin", shared_strings_bin(sst)),
    ]
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts:
            # A fixed timestamp keeps the output byte-for-byte reproducible.
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)


# Header and id/city columns as shared strings, names as inline strings.
CUSTOMERS = [
    ["id", "first_name", "last_name", "city"],
    ["K-1", Inline("Anna"), Inline("Weber"), "Dresden"],
    ["K-2", Inline("Bob"), Inline("Stein"), "Leipzig"],
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    write_xlsb(os.path.join(out, "good.xlsb"), CUSTOMERS)
    # Bob's city points past the end of the (7-entry) shared string table.
    bad_index = [row[:] for row in CUSTOMERS]
    bad_index[2][3] = SharedIndex(99)
    write_xlsb(os.path.join(out, "bad-string-index.xlsb"), bad_index)
    # The sheet is named by rId9, which workbook.bin.rels does not define.
    write_xlsb(os.path.join(out, "bad-relationship.xlsb"), CUSTOMERS, rel_id="rId9")
    # BrtWsDim cut from 16 to 8 bytes. calamine reuses one buffer per stream,
    # so a short record only panics before any longer one has filled it:
    # BrtWsDim is the sheet's first record with a payload. (A short cell
    # record such as BrtCellReal comes after it and reads stale bytes.)
    write_xlsb(os.path.join(out, "short-record.xlsb"), CUSTOMERS, dim_size=8)
    # Sound, but one cell claims column 8 000 000 (Excel stops at 16 384): a
    # header of eight million names (found by fuzzing, fuzz/README run 12).
    write_xlsb(os.path.join(out, "far-column.xlsb"), [["id", At(8_000_000, "note")]])


if __name__ == "__main__":
    main()
