"""Reading files that may come from anyone (an upload, a download from elsewhere).

Every reader here caps sizes before it reads, refuses what is not plain data
(NaN/Infinity literals, pickles, object arrays, devices and pipes), and raises
the caller's own error class with a message that says what is wrong.  Model
files (pynn.files.modelfile) and your-digits files (pynn.page.your_digits) both read through it.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

JSON_STRING = re.compile(r'"[^"]*"')  # once escaped backslashes and quotes are gone
BLOCK = 1 << 20  # bytes scanned at once when measuring nesting (the scan takes ~25 bytes per byte)
WHITESPACE = np.frombuffer(b" \t\n\r", dtype=np.uint8)
OPENERS_AND_COMMA, CLOSERS = np.frombuffer(b"[{,", dtype=np.uint8), np.frombuffer(b"]}", dtype=np.uint8)


class UntrustedFileError(ValueError):
    """A file that is not what it claims to be; subclasses name the kind of file."""


def megabytes(size: int) -> str:
    """A byte count as the page and the CLI both show it (MiB, written MB)."""
    return f"{size / 2**20:.1f} MB"


def read_capped(path: str | Path, cap: int, error: type[Exception]) -> bytes:
    """The bytes of a regular file of at most ``cap`` bytes.  Devices and pipes are refused
    before reading (/dev/zero never ends, a FIFO may never answer), and at most cap + 1
    bytes are read, in case the file grows."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{path} is not a regular file")
    with path.open("rb") as file:
        data = file.read(cap + 1)
    if len(data) > cap:
        raise error(f"{path.name} is over the {megabytes(cap)} cap")
    return data


def structure(text: str) -> tuple[int, list[int]]:
    """How deep [ and { nest outside strings, and how many values each level holds (entry d − 1:
    the items of all containers d deep; an object's entry is a key and its value), found by a
    scan of the bytes, without recursion and without building anything, so before json parses."""
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    codes = np.frombuffer(JSON_STRING.sub("0", unescaped).encode("utf-8"), dtype=np.uint8)
    codes = codes[~np.isin(codes, WHITESPACE)]  # outside strings it means nothing
    depth = deepest = 0
    previous, counts = 0, np.zeros(1, dtype=np.int64)
    for start in range(0, len(codes), BLOCK):  # in blocks, to bound the memory the running sum takes
        block = codes[start:start + BLOCK]
        steps = (block == ord("[")).astype(np.int32) + (block == ord("{")) - (block == ord("]")) - (block == ord("}"))
        levels = depth + np.cumsum(steps)
        # a value starts after an opener or a comma, unless the container closes there
        before = np.concatenate([np.array([previous], dtype=np.uint8), block[:-1]])
        starts = np.isin(before, OPENERS_AND_COMMA) & ~np.isin(block, CLOSERS)
        levels_before = np.concatenate([[depth], levels[:-1]])[starts]
        found = np.bincount(np.maximum(levels_before, 0), minlength=len(counts))  # malformed JSON fails later
        counts = np.concatenate([counts, np.zeros(len(found) - len(counts), dtype=np.int64)]) + found
        deepest, depth, previous = max(deepest, int(levels.max())), int(levels[-1]), block[-1]
    return deepest, counts[1:].tolist()


def nesting_depth(text: str) -> int:
    """How deep [ and { nest outside strings (see ``structure``)."""
    return structure(text)[0]


def parse_json(data, *, cap: int, max_depth: int, what: str, error: type[Exception],
               max_items: Sequence[int] = ()):
    """JSON text or UTF-8 bytes (a byte order mark is dropped) as Python values: capped in
    size, in nesting and (``max_items[d − 1]``: the values d levels deep) in count before
    parsing, so that a small file of many tiny values builds nothing; NaN/Infinity literals
    and repeated keys refused."""
    if not isinstance(data, (str, bytes, bytearray, memoryview)):
        raise error(f"a {what} is text or bytes, got {type(data).__name__}")
    if len(data) > cap:
        raise error(f"{what} is {megabytes(len(data))}; the cap is {megabytes(cap)}")
    if not isinstance(data, str):
        raw = bytes(data)
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise error(f"{what} is UTF-16 text; save it as UTF-8")
        try:
            data = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise error(f"{what} is not UTF-8 text (is it a JSON file?)") from None
    data = data.removeprefix("\ufeff")
    deepest, counts = structure(data)
    if deepest > max_depth:
        raise error(f"{what} is nested too deeply")
    for level, (count, most) in enumerate(zip(counts, max_items), 1):
        if count > most:
            raise error(f"{what} has {count:,} values {level} level{'s' * (level > 1)} deep, over the "
                        f"{most:,} allowed there")

    def refuse_constant(name: str):
        raise error(f"{what} contains {name}; numbers must be finite")

    def refuse_duplicates(pairs: list) -> dict:
        keys = [key for key, _ in pairs]
        if len(set(keys)) != len(keys):
            raise error(f"{what} repeats the key {next(k for k in keys if keys.count(k) > 1)!r}")
        return dict(pairs)

    try:
        return json.loads(data, parse_constant=refuse_constant, object_pairs_hook=refuse_duplicates)
    except json.JSONDecodeError as problem:
        raise error(f"{what} is not valid JSON: {problem}") from None
    except error:
        raise
    except (ValueError, RecursionError) as problem:  # e.g. an integer literal longer than Python converts
        raise error(f"{what} has a value that cannot be read: {problem}") from None


# The kinds of pynn file, by what each says of itself (pynn.files.modelfile and pynn.page.your_digits take their
# "format" values from here), so that a reader handed the other kind can say so.
MODEL_FORMAT = "pynn-network3"  # a layered net; the seed's MLP is in network2's layout, with no format
NETWORK2_KEYS = frozenset({"sizes", "weights", "biases", "cost"})
DIGITS_FORMAT = "pynn-your-digits"
KIND_DEPTH = 16  # a pynn file of either kind nests 7 deep at most


def file_kind(parsed) -> str | None:
    """"model" or "digits" when a parsed file's top level is that kind of pynn file (whether or
    not the rest is valid), else None."""
    if not isinstance(parsed, dict):
        return None
    if parsed.get("format") == DIGITS_FORMAT:
        return "digits"
    if parsed.get("format") == MODEL_FORMAT or NETWORK2_KEYS <= parsed.keys():
        return "model"
    return None


def sniff_kind(data, deeper_than: int) -> str | None:
    """file_kind of raw JSON that a reader refused for nesting deeper than ``deeper_than`` (a model
    nests deeper than a digits file may); None if it does not nest deeper (then it was refused
    for something else, such as a flood of values, and is not parsed here either) or does not
    parse even so."""
    class Unreadable(Exception):
        pass

    try:
        text = data if isinstance(data, str) else bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if nesting_depth(text) <= deeper_than:
        return None
    try:
        return file_kind(parse_json(data, cap=len(data), max_depth=KIND_DEPTH, what="file", error=Unreadable))
    except (Unreadable, TypeError):
        return None


def float_array(value, shape: tuple, where: str, error: type[Exception]) -> np.ndarray:
    """Nested lists of exactly ``shape``, or an array of that shape, holding only finite
    real numbers, as float64."""
    if isinstance(value, np.ndarray):
        if value.shape != shape or value.dtype.kind not in "fiu":
            raise error(f"{where} must be {shape} numbers, found {value.shape} {value.dtype.name}")
        array = value.astype(np.float64)
    else:
        rows = [value]
        for depth, size in enumerate(shape):
            for row in rows:
                if not isinstance(row, list) or len(row) != size:
                    raise error(f"{where} must have shape {shape} (wrong length at depth {depth})")
            rows = [item for row in rows for item in row]
        if not all(type(item) is float or type(item) is int for item in rows):  # not bool, str, None, list…
            raise error(f"{where} must hold only numbers")
        try:
            array = np.array(rows, dtype=np.float64).reshape(shape)
        except OverflowError:
            raise error(f"{where} holds a number too large to be a float64") from None
    if not np.isfinite(array).all():
        raise error(f"{where} holds a number that is not finite")
    return array


def npz_arrays(data, *, cap: int, max_members: int, error: type[Exception]) -> dict[str, np.ndarray]:
    """The arrays of an .npz archive, each header checked before it is read: no pickles,
    no object dtypes, no shape that claims more data than its member holds, and the
    whole archive capped in size and members before anything is inflated."""
    if len(data) > cap:
        raise error(f"model file is {megabytes(len(data))}; the cap is {megabytes(cap)}")
    buffer = io.BytesIO(bytes(data))
    try:
        with zipfile.ZipFile(buffer) as archive:
            members = archive.infolist()
            names = [member.filename for member in members]
            if len(names) > max_members or len(set(names)) != len(names):
                raise error("the .npz has too many or repeated members")
            if sum(member.file_size for member in members) > cap:  # what it would inflate to
                raise error(f"the .npz unpacks to more than {megabytes(cap)}")
            for member in members:
                check_npy_header(archive, member, error)
        buffer.seek(0)
        with np.load(buffer, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except error:
        raise
    except (ValueError, OSError, EOFError, KeyError, MemoryError, zipfile.BadZipFile) as problem:
        raise error(f"not a valid .npz archive: {problem}") from None


def check_npy_header(archive: zipfile.ZipFile, member: zipfile.ZipInfo, error: type[Exception]) -> None:
    if not member.filename.endswith(".npy"):
        raise error(f".npz member {member.filename!r} is not an .npy array")
    with archive.open(member) as fp:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise error(f".npz member {member.filename!r} has .npy version {version}")
    if dtype.hasobject or dtype.kind not in "fiuU":
        raise error(f".npz member {member.filename!r} has dtype {dtype}")
    if int(np.prod(shape, dtype=np.float64)) * dtype.itemsize > member.file_size:
        raise error(f".npz member {member.filename!r} claims more data than it holds")


def varint(data: bytes, pos: int, end: int, error: type[Exception]) -> tuple[int, int]:
    """The protobuf varint at ``pos`` and the position after it."""
    value = shift = 0
    while pos < end and shift < 70:
        byte = data[pos]
        value, pos, shift = value | (byte & 0x7F) << shift, pos + 1, shift + 7
        if byte < 0x80:
            return value, pos
    raise error("not a valid protobuf message: a number runs past its end")


def protobuf_fields(data: bytes, descriptor, *, max_fields: int, max_depth: int, error: type[Exception]) -> int:
    """How many fields a protobuf message holds, at every level its schema (``descriptor``) says is a
    message, counted on the wire before the protobuf runtime builds anything: the runtime makes an
    object per repeated entry, so a 50 MB file of empty entries would take gigabytes (and seconds)
    before any count of them could be read.  Refuses over ``max_fields`` or ``max_depth`` as soon as
    it gets there, so it costs at most ``max_fields`` steps; bytes and packed numbers are skipped whole."""
    count, stack = 0, [(0, len(data), descriptor, 1)]
    while stack:
        pos, end, message, depth = stack.pop()
        while pos < end:
            key, pos = varint(data, pos, end, error)
            count += 1
            if count > max_fields:
                raise error(f"the file holds over {max_fields:,} protobuf fields; that is far more than a model needs")
            number, wire = key >> 3, key & 7
            if wire == 0:
                _, pos = varint(data, pos, end, error)
            elif wire in (1, 5):
                pos += 8 if wire == 1 else 4
            elif wire == 2:
                length, pos = varint(data, pos, end, error)
                field = message.fields_by_number.get(number) if message is not None else None
                if field is not None and field.message_type is not None and length:
                    if depth >= max_depth:
                        raise error(f"the file nests messages over {max_depth} deep")
                    stack.append((pos, pos + length, field.message_type, depth + 1))
                pos += length
            else:
                raise error(f"not a valid protobuf message: wire type {wire}")
            if pos > end:
                raise error("not a valid protobuf message: a field runs past its end")
    return count
