"""The package version, read by setuptools and sent in the User-Agent."""

__version__ = "0.1.0"
