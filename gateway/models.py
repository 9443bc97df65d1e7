"""Import every module that defines tables, so migrations and tests see them all."""

from gateway.store import models  # noqa: F401
