"""The mediafinanz-style agency adapter (zeep). Its names and codes live in mappings.mediafinanz."""
from .client import MediafinanzAgency, classify, licence_key

__all__ = ["MediafinanzAgency", "classify", "licence_key"]
