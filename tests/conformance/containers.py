"""Wrappers that put a generated file inside a container: OLE2, ZIP, mail, PDF.

Used for OLE2 targets (the payload becomes a stream of a valid compound file) and for the
`Container:CL_TYPE_*` condition, which only holds when clamscan finds the file inside that
container. Everything is written with the standard library; nothing is stored in the tree.
"""

import base64
import io
import zipfile
import zlib

import ole2


def ole2_of(payload, name="Contents"):
    """A compound file whose one stream holds the payload, padded to the mini-stream cutoff so
    it sits in regular sectors at the end of the file."""
    return ole2.compound_file({name: payload.ljust(ole2.MINI_CUTOFF, b"\0")})


def ole2_overhead(stream_len):
    """Bytes a compound file adds around a stream of stream_len bytes (a multiple of 512)."""
    return len(ole2_of(bytes(stream_len))) - stream_len


def zip_of(payload, name="sample.bin"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, payload)
    return buf.getvalue()


def mail_of(payload, name="sample.bin"):
    encoded = base64.encodebytes(payload).decode("ascii")
    return ("From: sender@example.com\r\nTo: rcpt@example.com\r\nSubject: conformance sample\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b0undary\"\r\n\r\n"
            "--b0undary\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
            "--b0undary\r\nContent-Type: application/octet-stream; name=\"%s\"\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n%s\r\n--b0undary--\r\n"
            % (name, name, encoded)).encode("ascii")


def pdf_of(payload):
    """A one-object PDF whose FlateDecode stream is the payload, with a correct xref."""
    data = zlib.compress(payload)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [] /Count 0 >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data +
               b"\nendstream"]
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1,
                                                                           xref)
    return bytes(out)


WRAPPERS = {
    "CL_TYPE_ZIP": zip_of,
    "CL_TYPE_MAIL": mail_of,
    "CL_TYPE_PDF": pdf_of,
    "CL_TYPE_MSOLE2": ole2_of,
}
