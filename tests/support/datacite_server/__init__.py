"""A local stand-in for DataCite's REST API (standin.py: state and rules; handler.py: HTTP;
__main__.py: run it by hand)."""

from .standin import Account, DataCiteStandIn, Fault, Logged, StoredDoi

__all__ = ["Account", "DataCiteStandIn", "Fault", "Logged", "StoredDoi"]
