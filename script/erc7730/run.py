"""Runs Ledger's ERC-7730 tool (PyPI `erc7730`) on this machine's Python 3.11.

erc7730 1.0.12 declares Python >= 3.12, and the one 3.12 feature it uses at import is `typing.override`
(PEP 698); typing_extensions, which it already depends on, has the same decorator. Anything else it needed
from 3.12 would fail loudly here, not pass silently.

    python run.py lint FILE...     # validate descriptors (named run.py: a file named erc7730.py would shadow the package)
    python run.py schema           # print the ERC-7730 JSON schema
"""

import typing

import typing_extensions

if not hasattr(typing, "override"):
    typing.override = typing_extensions.override

from erc7730.main import app  # noqa: E402

if __name__ == "__main__":
    app()
