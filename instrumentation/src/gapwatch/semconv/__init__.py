"""Span vocabulary shared by gapwatch's instrumentation and analyzer.

Attribute names of the newest OpenTelemetry GenAI semantic conventions (defined here because the
constants in ``opentelemetry-semantic-conventions`` are frozen and deprecated), the ``gapwatch.*``
extension for what the standard lacks, and the older or foreign names the analyzer still reads.

    from gapwatch.semconv import attributes as A
    span.set_attribute(A.GEN_AI_TOOL_NAME, "read_file")
"""

from gapwatch.semconv import attributes, values
from gapwatch.semconv.attributes import EXTENSION_ATTRIBUTES
from gapwatch.semconv.values import ToolOutcome

__all__ = ["EXTENSION_ATTRIBUTES", "ToolOutcome", "attributes", "values"]
