"""The shared domain library of Smart Customs Cloud (packaged as a Lambda layer, importable as ``customs``)."""

__version__ = "0.1.0"
