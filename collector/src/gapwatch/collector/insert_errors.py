"""Tell the two kinds of failed insert apart: the store is unavailable, or the data is unstorable.

The first is retried in order until the store is back (nothing acknowledged is dropped); the
second would fail forever, so the drainer splits the block and quarantines what fails alone.
Only errors known to be about the data count as the second kind: anything unknown is treated
as unavailability, which at worst delays storage, never discards spans that a retry would store.

    raise classify_insert_error(error, "insert into otel_traces failed")
"""

from __future__ import annotations

import re
import struct

from clickhouse_connect.driver.exceptions import DataError, ProgrammingError

from gapwatch.collector.errors import CollectorError, StorageUnavailable, UnstorableData

# ClickHouse error codes raised by a value that the column type cannot hold or parse
# (ErrorCodes.cpp); a missing table, a full disk, a timeout … are not among them
DATA_ERROR_CODES = frozenset(
    {
        6,  # CANNOT_PARSE_TEXT
        27,  # CANNOT_PARSE_INPUT_ASSERTION_FAILED
        38,  # CANNOT_PARSE_DATE
        41,  # CANNOT_PARSE_DATETIME
        53,  # TYPE_MISMATCH
        69,  # ARGUMENT_OUT_OF_BOUND
        70,  # CANNOT_CONVERT_TYPE
        72,  # CANNOT_PARSE_NUMBER
        117,  # INCORRECT_DATA
        131,  # TOO_LARGE_STRING_SIZE
        321,  # VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
        407,  # DECIMAL_OVERFLOW
        444,  # UNKNOWN_PROTOBUF_FORMAT
    }
)
_CODE = re.compile(r"\bCode: (\d+)\.")
# raised by the client while it encodes columns, before anything reaches the server
_CLIENT_ENCODING_ERRORS = (DataError, ProgrammingError, OverflowError, struct.error, ValueError)


def classify_insert_error(error: BaseException, what: str) -> CollectorError:
    """The collector error to raise for ``error``; ``what`` says which write failed."""
    message = f"{what}: {error}"
    if isinstance(error, _CLIENT_ENCODING_ERRORS):
        return UnstorableData(message)
    code = _CODE.search(str(error))
    if code is not None and int(code.group(1)) in DATA_ERROR_CODES:
        return UnstorableData(message)
    return StorageUnavailable(message)
