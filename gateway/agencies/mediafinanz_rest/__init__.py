"""mediafinanz's REST API v2.1 as an agency adapter (requests). Its names and codes live in
mappings.mediafinanz_rest."""
from .client import MediafinanzRestAgency
from .errors import classify_answer, classify_exception

__all__ = ["MediafinanzRestAgency", "classify_answer", "classify_exception"]
