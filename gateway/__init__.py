"""inkasso-gateway: SOAP integration gateway between online shops and debt-collection agencies."""

__version__ = "0.1.0"
