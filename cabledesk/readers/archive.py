"""Walk a folder, a tar or a zip one item at a time, so every reader gets the same safety rules.

An item is one file (or archive member) with its bytes, or with an ``error`` saying why it was not
read: too big, unsafe member name, link leaving the folder, corrupt archive. Nothing is ever
extracted or written; archives are streamed (tar) or opened member by member (zip).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

#: Largest item read into memory; the biggest real cable is well under 1 MB.
MAX_ITEM_BYTES = 16 * 1024 * 1024

#: Suffixes of archives the walkers open (tar in streaming mode, zip member by member).
TAR_SUFFIXES: tuple[str, ...] = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
ZIP_SUFFIXES: tuple[str, ...] = (".zip",)

#: Share of bad bytes (invalid UTF-8 or control characters) above which an item is "not text".
NOT_TEXT_RATIO = 0.10

_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL_BYTES = bytes(
    [*range(1, 9), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F]
)  # not NUL, \t\n\f\r, ESC
_SURROGATE = re.compile(r"[\udc80-\udcff]")

#: Reference ids as the release spells them (all 251,287 manifest ids match, the 53 odd ones too).
ID_RE = re.compile(r"^[0-9]{2}[A-Z0-9]*[A-Z][A-Z0-9]*$")


@dataclass(slots=True)
class Item:
    """One file or archive member: its bytes, or the reason it was not read."""

    name: str  # path relative to the folder, archive member name, or the file's own name
    size: int = 0  # bytes on disk / in the archive (as declared before reading)
    data: bytes | None = None
    error: str | None = None


def too_big(size: int) -> str:
    """The per-item cap message, so every reader says it the same way."""
    return f"item is {size / 2**20:.1f} MB, over the {MAX_ITEM_BYTES // 2**20} MB limit for one cable"


def unsafe_name(name: str) -> bool:
    """True for member names that could escape a folder if anyone extracted them."""
    n = name.replace("\\", "/")
    return n.startswith("/") or bool(_DRIVE.match(n)) or ".." in n.split("/") or "\x00" in n


def iter_items(path: Path, wanted: Callable[[str], bool], kind: str) -> Iterator[Item]:
    """Every item under ``path`` in a stable order; unwanted files come back as errors, not silence."""
    if path.is_dir():
        yield from _walk_folder(path, wanted, kind)
    elif path.name.lower().endswith(ZIP_SUFFIXES):
        yield from _walk_zip(path, wanted, kind)
    elif path.name.lower().endswith(TAR_SUFFIXES):
        yield from _walk_tar(path, wanted, kind)
    else:
        yield _read_file(path, path.name)


def sample_names(path: Path, limit: int = 50) -> list[str]:
    """Up to ``limit`` member names of an archive or files of a folder, cheaply, for scoring."""
    names: list[str] = []
    try:
        if path.is_dir():
            for _root, _dirs, files in os.walk(path):
                names.extend(files)
                if len(names) >= limit:
                    break
        elif path.name.lower().endswith(ZIP_SUFFIXES):
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if not n.endswith("/")][:limit]
        elif path.name.lower().endswith(TAR_SUFFIXES):
            with _open_stream(path) as stream, tarfile.open(fileobj=stream, mode="r|") as tf:
                for member in tf:
                    if member.isfile():
                        names.append(member.name)
                    if len(names) >= limit:
                        break
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, zlib.error, lzma.LZMAError):
        pass
    return names[:limit]


def decode_text(data: bytes) -> tuple[str | None, str | None, str | None]:
    """(text, warning, error): UTF-8 with a few bad bytes is kept (replaced, with a warning)."""
    if not data:
        return None, None, "empty file"
    if b"\x00" in data:
        return None, None, f"binary data, not text: NUL byte at byte {data.index(0)}"
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    try:
        text = data.decode("utf-8")
        bad = 0
    except UnicodeDecodeError:
        text = data.decode("utf-8", "surrogateescape")
        bad = len(_SURROGATE.findall(text))
    if bad + controls > NOT_TEXT_RATIO * len(data):
        reason = f"{bad} invalid UTF-8 bytes and {controls} control characters in {len(data)} bytes"
        return None, None, f"binary data, not text: {reason}"
    warning = None
    if bad:
        text, warning = _replace_surrogates(text, bad)
    return text.removeprefix("\ufeff"), warning, None


def _replace_surrogates(text: str, count: int) -> tuple[str, str]:
    """Replace undecodable bytes with U+FFFD and say where the first one was."""
    first = _SURROGATE.search(text)
    at = len(text[: first.start()].encode("utf-8", "surrogateescape")) if first else 0
    more = f" ({count} bytes in all)" if count > 1 else ""
    return _SURROGATE.sub("\ufffd", text), f"invalid UTF-8 at byte {at} replaced{more}"


def fix_surrogates(text: str) -> tuple[str, str | None]:
    """For text decoded with surrogateescape: replace bad bytes, return a warning if there were any."""
    if text.isascii():  # the common cases, checked in C at memory speed: no surrogate possible
        return text, None
    try:
        text.encode("utf-8")  # fails on any surrogate
        return text, None
    except UnicodeEncodeError:
        pass
    bad = _SURROGATE.findall(text)
    if not bad:
        return text, None
    return _replace_surrogates(text, len(bad))


def _read_file(path: Path, name: str) -> Item:
    """Read one plain file, refusing it by its size before reading a byte of it."""
    try:
        size = path.stat().st_size
        if size > MAX_ITEM_BYTES:
            return Item(name, size, error=too_big(size))
        with path.open("rb") as fh:
            data = fh.read(size + 1)  # read(n) reserves n bytes: ask for what stat() promised
            if len(data) > size:  # the file grew since stat()
                data += fh.read(MAX_ITEM_BYTES + 1 - len(data))
    except OSError as exc:
        return Item(name, error=f"cannot read: {exc.strerror or exc}")
    if len(data) > MAX_ITEM_BYTES:
        return Item(name, len(data), error=too_big(len(data)))
    return Item(name, len(data), data=data)


def _walk_folder(root: Path, wanted: Callable[[str], bool], kind: str) -> Iterator[Item]:
    """Every file under ``root`` in sorted path order; symlinks only when they stay inside it."""
    real_root = root.resolve()
    for p in _sorted_files(root, root):
        if isinstance(p, Item):
            yield p
            continue
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            if not p.exists():
                yield Item(rel, error="broken symlink")
                continue
            if not _inside(p, real_root):
                where = "a folder" if p.is_dir() else "a file"
                yield Item(rel, error=f"symlink to {where} outside the input folder: not followed")
                continue
            if p.is_dir():
                continue  # a link to a folder inside: its files are read where they really are
        if not wanted(p.name):
            yield Item(rel, error=f"not {kind}: skipped")
            continue
        yield _read_file(p, rel)


def _sorted_files(folder: Path, root: Path) -> Iterator[Path | Item]:
    """Depth-first, entries sorted by name at each level (so paths come out in sorted order)."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield Item(
            folder.relative_to(root).as_posix() or ".", error=f"cannot list folder: {exc.strerror or exc}"
        )
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _sorted_files(Path(entry.path), root)
        else:
            yield Path(entry.path)


def _inside(p: Path, real_root: Path) -> bool:
    """True when ``p`` resolves to somewhere under ``real_root``."""
    try:
        return p.resolve().is_relative_to(real_root)
    except OSError:
        return False


def _open_stream(path: Path) -> BinaryIO:
    """The archive's bytes, decompressed by the gzip/bz2/lzma modules: they check the end and CRC.

    tarfile's own streaming decompressor takes a cut-off .tar.gz for a complete one and inflates
    16 KB of input at a time however large the output; these file objects do neither.
    """
    with path.open("rb") as fh:
        magic = fh.read(6)
    if magic.startswith(b"\x1f\x8b"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if magic.startswith(b"BZh"):
        return bz2.open(path, "rb")  # type: ignore[return-value]
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lzma.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _walk_tar(path: Path, wanted: Callable[[str], bool], kind: str) -> Iterator[Item]:
    """Stream a tar (any compression) member by member; a broken archive ends with one error item."""
    count = 0
    current = path.name
    try:
        with _open_stream(path) as stream, tarfile.open(fileobj=stream, mode="r|") as tf:
            for member in tf:
                current = member.name
                if unsafe_name(member.name):
                    yield Item(
                        member.name, member.size, error=f"unsafe member name {member.name!r}: not read"
                    )
                elif member.isdir():
                    continue
                elif member.issym() or member.islnk():
                    yield Item(member.name, error="link inside the archive: not followed")
                elif not member.isfile():
                    yield Item(member.name, error="not a regular file in the archive: skipped")
                elif not wanted(member.name):
                    yield Item(member.name, member.size, error=f"not {kind}: skipped")
                elif member.size > MAX_ITEM_BYTES:
                    yield Item(member.name, member.size, error=too_big(member.size))
                else:
                    fh = tf.extractfile(member)
                    data = fh.read() if fh is not None else b""
                    if len(data) != member.size:
                        raise EOFError(f"member {member.name} is cut short")
                    yield Item(member.name, len(data), data=data)
                count += 1
                current = path.name
            while stream.read(1 << 16):  # the padding after the end marker, so the CRC gets checked
                pass
    except (OSError, EOFError, tarfile.TarError, zlib.error, lzma.LZMAError) as exc:
        yield Item(current, error=f"corrupt or truncated archive after {count} items: {exc}")


def _walk_zip(path: Path, wanted: Callable[[str], bool], kind: str) -> Iterator[Item]:
    """Open zip members one at a time in archive order; a bad member does not stop the rest."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        yield Item(path.name, error=f"corrupt or truncated zip archive: {exc}")
        return
    with zf:
        for info in zf.infolist():
            name = info.filename
            if unsafe_name(name):
                yield Item(name, info.file_size, error=f"unsafe member name {name!r}: not read")
            elif info.is_dir():
                continue
            elif not wanted(name):
                yield Item(name, info.file_size, error=f"not {kind}: skipped")
            elif info.file_size > MAX_ITEM_BYTES:
                yield Item(name, info.file_size, error=too_big(info.file_size))
            else:
                try:
                    with zf.open(info) as fh:
                        data = fh.read(info.file_size + 1)  # more than declared: refused below or by the CRC
                except (
                    OSError,
                    EOFError,
                    zipfile.BadZipFile,
                    zlib.error,
                    RuntimeError,
                    NotImplementedError,
                ) as exc:
                    yield Item(name, info.file_size, error=f"corrupt archive member: {exc}")
                    continue
                if len(data) > MAX_ITEM_BYTES:
                    yield Item(name, info.file_size, error=too_big(len(data)))
                else:
                    yield Item(name, len(data), data=data)
