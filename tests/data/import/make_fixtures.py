#!/usr/bin/env python3
"""Writes the input files of the import tests (tests/unit/test_import.c) into this folder.

Standard library only. Images are built by hand (PNG with zlib, a one-block baseline JPEG, an
LZW-coded GIF, a 24-bit BMP), archives with zipfile/tarfile/gzip with fixed times so the output
is the same on every run. The generated files are committed; run this again only to change
them, then review the `.expected` files beside them by hand.
"""
import gzip
import io
import os
import struct
import tarfile
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCH = (1980, 1, 1, 0, 0, 0)


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


# ---- images ----

def png(width, height, pixel=lambda x, y: (x * 60 % 256, y * 80 % 256, 128)):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width))
                   for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def png_header_only(width, height):
    """A PNG whose IHDR claims a size; its pixel data is one empty row (never decoded)."""
    whole = png(1, 1)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = (struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
             + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF))
    return whole[:8] + chunk + whole[8 + len(chunk):]


def jpeg(width, height):
    """A grey baseline JPEG of one 8x8 block: DC 0, all AC zero, one-code Huffman tables."""
    def seg(marker, body):
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body
    assert width <= 8 and height <= 8
    dqt = seg(0xDB, b"\x00" + b"\x01" * 64)
    sof = seg(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    one_code = bytes([1] + [0] * 15) + b"\x00"
    dht = seg(0xC4, b"\x00" + one_code + b"\x10" + one_code)
    sos = seg(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    # DC category 0 ("0"), end of block ("0"), padded with ones.
    return b"\xff\xd8" + dqt + sof + dht + sos + b"\x3f" + b"\xff\xd9"


def gif(width, height):
    """Two colours, LZW with a clear code every two pixels so codes stay 3 bits wide."""
    pixels = [(x + y) % 2 for y in range(height) for x in range(width)]
    codes = []
    for i, p in enumerate(pixels):
        if i % 2 == 0:
            codes.append(4)  # clear
        codes.append(p)
    codes.append(5)  # end of information
    bits = 0
    nbits = 0
    out = bytearray()
    for c in codes:
        bits |= c << nbits
        nbits += 3
        while nbits >= 8:
            out.append(bits & 0xFF)
            bits >>= 8
            nbits -= 8
    if nbits:
        out.append(bits & 0xFF)
    screen = struct.pack("<HHBBB", width, height, 0x80, 0, 0)
    palette = b"\x00\x00\x00\xff\xff\xff"
    desc = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
    data = b"\x02" + bytes([len(out)]) + bytes(out) + b"\x00"
    return b"GIF89a" + screen + palette + desc + data + b"\x3b"


def bmp(width, height):
    stride = (width * 3 + 3) & ~3
    rows = b""
    for y in range(height):
        row = b"".join(bytes((x * 40, y * 90, 200)) for x in range(width))
        rows += row + b"\x00" * (stride - len(row))
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(rows), 2835, 2835, 0, 0)
    header = struct.pack("<2sIHHI", b"BM", 14 + len(info) + len(rows), 0, 0, 14 + len(info))
    return header + info + rows


# ---- archives ----

def zip_bytes(entries):
    """entries: (name, data) for files, (name, None) for folders, (name, ("link", target))."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, EPOCH)
            info.create_system = 3
            if data is None:
                info.external_attr = (0o40755 << 16) | 0x10
                z.writestr(info, b"")
            elif isinstance(data, tuple):
                info.external_attr = 0o120777 << 16
                z.writestr(info, data[1].encode())
            else:
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data)
    return buf.getvalue()


def tar_bytes(entries):
    """entries: (name, kind, data_or_target), kind in file/dir/symlink/hardlink/fifo."""
    buf = io.BytesIO()
    kinds = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
             "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE}
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, kind, value in entries:
            info = tarfile.TarInfo(name)
            info.type = kinds[kind]
            info.mtime = 0
            info.mode = 0o755 if kind == "dir" else 0o644
            if kind in ("symlink", "hardlink"):
                info.linkname = value
            if kind == "file":
                info.size = len(value)
                t.addfile(info, io.BytesIO(value))
            else:
                t.addfile(info)
    return buf.getvalue()


def gzip_bytes(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as g:
        g.write(data)
    return buf.getvalue()


def main():
    tiny_png = png(2, 3)

    # JSONL: a BOM, blank lines, every rejection reason, CRLF, no final newline.
    write("mixed.jsonl", "\ufeff".encode() + b"".join([
        b'{"text": "hello world"}\n',
        '{"text": "caf\u00e9 \u2615", "meta": {"src": "a", "n": 2}}\n'.encode(),
        b"\n",
        b"   \t\n",
        b'{"text": "   "}\n',
        b'{"text": ""}\n',
        b'{"txt": "x"}\n',
        b'{"text": 5}\n',
        b'{"text": "ok", "meta": "x"}\n',
        b'{"text": "broken"\n',
        b'["text"]\n',
        b'{"text": "dup", "text": "dup2"}\n',
        b'{"text": "windows"}\r\n',
        b'{"text": "\\u3000\\u00a0"}\n',
        b'{"text": "nul\\u0000"}\n',
        b'{"text": "last", "meta": null, "id": 7}',
    ]))
    write("bad_utf8.jsonl", b"".join([
        b'{"text": "good"}\n',
        b'{"text": "\xc0\xaf"}\n',            # overlong "/"
        b'{"text": "\xed\xa0\x80"}\n',        # surrogate U+D800
        b'{"text": "\xf4\x90\x80\x80"}\n',    # past U+10FFFF
        b'{"text": "\xe2\x82"}\n',            # cut short
        b'{"text": "\x80"}\n',                # lone continuation byte
        b'{"text": "\xf0\x9f\x98\x80"}\n',    # U+1F600, fine
        b'{"text": "\xe0\x80\xaf"}\n',        # overlong in three bytes
        b'{"text": "\xef\xbf\xbf"}\n',        # U+FFFF, a noncharacter but valid
    ]))
    write("long.jsonl", b"".join([
        b'{"text": "' + b"a" * 65536 + b'"}\n',
        b'{"text": "' + b"b" * 65537 + b'"}\n',
        b'{"text": "' + "\ud55c".encode() * 21846 + b'"}\n',  # 65538 bytes
    ]))

    # CSV: quotes, doubled quotes, line breaks in fields, CRLF and LF, a BOM.
    write("quoted.csv", "\ufeff".encode() + b"".join([
        b"text,source,lang\r\n",
        b'"Hello, world",web,en\r\n',
        b'"She said ""hi""",chat,en\r\n',
        b'"multi\nline\r\ntext",doc,en\r\n',
        b"\r\n",
        b"plain,,ko\r\n",
        b'"   ",x,en\r\n',
        b"only\r\n",
        b'"a","b","c","d"\r\n',
        b'"trailing","x","y",\r\n',
        b'"bad"x,y,z\r\n',
        "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8,kr,ko\n".encode(),
        b",nothing,en\n",
        b'"last line",end,en',
    ]))
    write("columns.csv", b" Text ,text, note ,,note\nA,B,C,D,E\n")
    write("no_text_column.csv", b"title,body\nx,y\n")
    write("empty.csv", b"")
    write("unterminated.csv", b'text\nok\n"never closed,\nmore\n')
    write("bad_utf8.csv", b"text,meta\nfine,a\n\xff\xfe,b\nok,\xc3\x28\n")

    # Text files.
    write("note.txt", "\ufeffFirst line\nSecond line\n\n".encode())
    write("blank.txt", b" \n\t\r\n")
    write("bad.txt", b"abc\xffdef")
    write("nul.txt", b"abc\x00def")

    # Images.
    write("tiny.png", tiny_png)
    write("truncated.png", tiny_png[: len(tiny_png) // 2])
    write("huge_side.png", png_header_only(20000, 1))
    # Sides within 16384 but 56 megapixels: refused from the header, never decoded.
    write("many_pixels.png", png_header_only(8000, 7000))
    write("tiny.jpg", jpeg(3, 2))
    write("tiny.gif", gif(3, 2))
    write("tiny.bmp", bmp(3, 2))
    write("fake.png", b"not really a png\n")
    write("garbage.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    write("unknown.bin", b"hello, no format here\n")

    # Archives.
    inner_zip = zip_bytes([("x.txt", b"inner")])
    inner_tgz = gzip_bytes(tar_bytes([("y.txt", "file", b"inner")]))
    write("images.zip", zip_bytes([
        ("a.png", tiny_png),
        ("photos/", None),
        ("photos/b.gif", gif(3, 2)),
        ("photos/c.JPG", jpeg(3, 2)),
        ("notes/readme.txt", b"Read me first.\n"),
        ("data/rows.jsonl", b'{"text": "from zip"}\n{"text": ""}\n'),
        ("data/table.csv", b"text,tag\nrow one,t1\n\"row\ntwo\",t2\n"),
        ("broken.png", tiny_png[:30]),
        ("inner.zip", inner_zip),
        ("inner.tar.gz", inner_tgz),
        ("program.exe", b"MZ\x90\x00"),
        ("backup.png.bak", tiny_png),
        ("png_without_extension", tiny_png),
        ("zip_without_extension", inner_zip),
        ("__MACOSX/._a.png", b"\x00\x05\x16\x07"),
        (".DS_Store", b"\x00\x00\x00\x01Bud1"),
        ("./dot/d.txt", b"dot"),
        ("\ud55c\uae00.txt", "\ud55c\uae00".encode()),
    ]))
    write("traversal.zip", zip_bytes([
        ("../evil.txt", b"evil"),
        ("/abs.txt", b"abs"),
        ("a/../../b.txt", b"b"),
        ("..\\win.txt", b"win"),
        ("C:/drive.txt", b"drive"),
        ("ok.txt", b"ok"),
        ("safe/..hidden.txt", b"dots in a name are fine"),
        ("link.txt", ("link", "ok.txt")),
    ]))
    write("symlink.tar", tar_bytes([
        ("real.txt", "file", b"real"),
        ("link.txt", "symlink", "real.txt"),
        ("escape", "symlink", "/etc/passwd"),
        ("hard.txt", "hardlink", "real.txt"),
        ("dir", "dir", None),
        ("dir/inside.txt", "file", b"inside"),
        ("fifo", "fifo", None),
        ("../up.txt", "file", b"up"),
        ("/etc/x.txt", "file", b"absolute"),
    ]))
    write("archive.tar.gz", gzip_bytes(tar_bytes([
        (".", "dir", None),
        ("./a.txt", "file", b"alpha"),
        ("./img", "dir", None),
        ("./img/x.bmp", "file", bmp(3, 2)),
        ("./data.csv", "file", b"text\none\ntwo\n"),
    ])))
    write("bundle.tgz", gzip_bytes(tar_bytes([
        ("lines.jsonl", "file", b'{"text": "in a tgz", "meta": {"k": "v"}}\n'),
    ])))
    write("empty.zip", zip_bytes([]))
    write("corrupt.zip", b"PK\x03\x04" + b"\x14\x00" + b"\xff" * 60)
    write("truncated.tar.gz", gzip_bytes(tar_bytes([("t.txt", "file", b"t" * 3000)]))[:40])
    # Transcription pre-fills beside their images: kept, dropped (a box outside the 2x3
    # image), a malformed line, a record without lines, an image that never comes, and an
    # image without a pre-fill.
    prefill = "\n".join([
        '{"image": "scans/a.png", "lines": [{"text": "합계 12,000원", '
        '"box": {"x": 0, "y": 0, "w": 2, "h": 1}}, {"text": "RECEIPT"}]}',
        '{"image": "b.png", "lines": [{"text": "far", "box": {"x": 0, "y": 0, "w": 9, "h": 9}}]}',
        '',
        '{"image": "c.png", ',
        '{"image": "d.png"}',
        '{"image": "missing.png", "lines": [{"text": "never"}]}',
    ]).encode() + b"\n"
    write("image_transcription_prefill.zip", zip_bytes([
        ("prefill.jsonl", prefill),
        ("a.png", png(2, 3)),
        ("b.png", png(2, 3, lambda x, y: (1, 2, 3))),
        ("e.png", png(2, 3, lambda x, y: (4, 5, 6))),
    ]))


if __name__ == "__main__":
    main()
