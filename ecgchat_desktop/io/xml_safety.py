"""Hardened XML parsing shared by the XML ECG readers (HL7 aECG, Philips, GE MUSE).

ECG XML arrives from e-mail, USB sticks and PACS exports, so it is untrusted input:
entity declarations (billion laughs, external entities) are refused by defusedxml,
files larger than any real ECG are refused before parsing, and every parser
failure becomes a typed `EcgReadError` naming the file.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import defusedxml
import defusedxml.ElementTree as SafeET

from ecgchat_desktop.io.errors import CorruptFileError, EcgReadError, ImplausibleContentError

# Resting ECG XML files are well below 10 MB; long rhythm strips as HL7 text digits reach
# tens of MB. A day-long Holter export would exceed this limit and is refused as implausible.
MAX_XML_BYTES = 128 * 1024 * 1024
# Real ECG XML nests about 20 levels deep and holds a few thousand elements.
MAX_XML_DEPTH = 256
MAX_XML_ELEMENTS = 500_000
# Real ECG XML holds a few thousand tags; only files with many more are parsed step by step.
_FAST_PATH_MAX_TAGS = 50_000

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_PI = re.compile(r"<\?.*?\?>", re.S)
_DOCTYPE = re.compile(r"<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", re.S | re.I)
_START_TAG = re.compile(r"<\s*([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)([^>]*)>?", re.S)


def decode_head(head: bytes) -> str:
    """The first bytes of a file as text, whatever the XML encoding (UTF-8/16, Latin-1)."""
    if head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"):
        codec = "utf-16"
    elif head.startswith(b"<\x00"):
        codec = "utf-16-le"
    elif head.startswith(b"\x00<"):
        codec = "utf-16-be"
    else:
        codec = "utf-8"
    if codec.startswith("utf-16") and len(head) % 2:
        head = head[:-1]
    return head.decode(codec, errors="replace").lstrip("\ufeff")


def root_element(head: bytes) -> tuple[str, str] | None:
    """(local name, attribute text) of the root element found in the head bytes, or None."""
    text = decode_head(head).lstrip()
    if not text.startswith("<"):
        return None
    text = _PI.sub("", text)
    text = _COMMENT.sub("", text)
    text = _DOCTYPE.sub("", text)
    match = _START_TAG.search(text)
    if match is None or text[: match.start()].strip():
        return None
    return match.group(2), match.group(3) or ""


_LONG_HEAD_BYTES = 65536


def root_element_of(path: Path, head: bytes) -> tuple[str, str] | None:
    """Like `root_element`, reading up to 64 kB when long comments hide the root from the head."""
    found = root_element(head)
    if found is None and decode_head(head).lstrip().startswith("<") and len(head) < _LONG_HEAD_BYTES:
        try:
            with open(path, "rb") as fh:
                longer = fh.read(_LONG_HEAD_BYTES)
        except OSError:
            return None
        if len(longer) > len(head):
            found = root_element(longer)
    return found


def local(tag: str) -> str:
    """Tag name without its namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse_xml(path: Path, fmt: str) -> ET.Element:
    """Parse an XML file safely; raise `EcgReadError` subclasses naming the file."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise EcgReadError(path, f"cannot be opened ({exc.strerror or exc})") from None
    if size == 0:
        raise CorruptFileError(path, "file is empty")
    if size > MAX_XML_BYTES:
        raise ImplausibleContentError(path, f"{size} bytes is too large for a {fmt} file")
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise EcgReadError(path, f"cannot be read ({exc.strerror or exc})") from None
    try:
        return _parse_bounded(path, fmt, data)
    except defusedxml.DefusedXmlException as exc:
        raise CorruptFileError(
            path, f"{fmt} XML declares entities or external references, refused for safety ({type(exc).__name__})"
        ) from None
    except ET.ParseError as exc:
        raise CorruptFileError(path, f"{fmt} file is not well-formed XML ({exc})") from None
    except (ValueError, LookupError) as exc:  # unknown encoding declaration, bad bytes
        raise CorruptFileError(path, f"{fmt} file cannot be decoded as XML ({exc})") from None
    except RecursionError:
        raise CorruptFileError(path, f"{fmt} XML is nested too deeply") from None
    except MemoryError:
        raise ImplausibleContentError(path, f"{fmt} XML is too large to parse") from None


def _parse_bounded(path: Path, fmt: str, data: bytes) -> ET.Element:
    """Parse with limits on nesting depth and element count, checked while parsing.

    A small file of millions of nested or empty elements would otherwise build a tree
    many times its size in memory before any reader could refuse it.
    """
    if data.count(b"<") <= _FAST_PATH_MAX_TAGS:
        # Few enough tags that neither depth nor element count can matter: parse in C at once.
        return SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    depth = count = 0
    root = None
    for event, element in SafeET.iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=False,
                                           forbid_entities=True, forbid_external=True):
        if event == "start":
            depth += 1
            count += 1
            if depth > MAX_XML_DEPTH:
                raise CorruptFileError(path, f"{fmt} XML is nested more than {MAX_XML_DEPTH} levels deep")
            if count > MAX_XML_ELEMENTS:
                raise ImplausibleContentError(path, f"{fmt} XML has more than {MAX_XML_ELEMENTS} elements")
        else:
            depth -= 1
            root = element
    if root is None:
        raise CorruptFileError(path, f"{fmt} file has no XML root element")
    return root


def text_of(element: ET.Element | None) -> str | None:
    """Stripped text of an element, None when absent or empty."""
    if element is None or element.text is None:
        return None
    value = element.text.strip()
    return value or None


def to_float(raw) -> float | None:
    """A finite float from text, or None (vendors write 'Failed', '', 'Indeterminate')."""
    if raw is None:
        return None
    try:
        value = float(str(raw).strip())
    except (TypeError, ValueError):
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return value
