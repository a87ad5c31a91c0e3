"""Remembering the CA's renewal window in a certificate's tags.

A window asked again on a run that renews nothing is written back so the next
runs need not ask before its Retry-After (renewer.core.renewal_window). The
listing names no version (REST spec ``GetCertificates``: an item's ``id`` is
``…/certificates/{name}``) and PATCH replaces a version's whole tag map
(``UpdateCertificate``), so the current version is read first: its tags are
kept as they are, and a version whose serial is not the one planned from (a
renewal landed meanwhile) is left alone rather than given an old window.
"""

from __future__ import annotations

import threading

from azure.keyvault.certificates import CertificateClient

from renewer.core.models import RenewalInfo, StoredCertificate
from renewer.stores.keyvault.listing import Listed
from renewer.stores.keyvault.policy import (
    MANAGED_BY,
    MANAGED_VALUE,
    MAX_TAGS,
    TAG_SERIAL,
    TAG_WINDOW,
    with_window,
)


class WindowTags:
    """One GET and one PATCH per remembered window; none where the tags are full."""

    def __init__(self, certs: CertificateClient) -> None:
        self._certs = certs
        self._lock = threading.Lock()
        self._full: set[str] = set()

    def seen(self, props: Listed) -> None:
        """Note a listed certificate of renewer's whose 15 tags leave no room for a window."""
        tags = props.tags or {}
        if (
            props.name
            and tags.get(MANAGED_BY) == MANAGED_VALUE
            and TAG_WINDOW not in tags
            and len(tags) >= MAX_TAGS
        ):
            with self._lock:
                self._full.add(props.name)

    def remember(self, stored: StoredCertificate, info: RenewalInfo) -> bool:
        """PATCH the window into the current version if it is still ``stored``'s."""
        with self._lock:
            if stored.name in self._full:
                return False
        current = self._certs.get_certificate(stored.name).properties
        if current is None or not current.version:
            return False
        tags = dict(current.tags or {})
        if tags.get(TAG_SERIAL) != stored.serial:  # renewed (or replaced) since the listing
            return False
        updated = with_window(tags, info)
        if updated is None:
            return False
        self._certs.update_certificate_properties(stored.name, current.version, tags=updated)
        return True
