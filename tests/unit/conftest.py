"""Fixtures of the connection tests (a throwaway CA, the local HTTPS API server)."""

from support.connect import api, pki  # noqa: F401
