"""One settings module per store, DNS provider and notify type: its keys, its settings class.

Adding a type is adding one module here (``dns_<name>``, ``store_<name>`` or
``notify_<name>``, with a ``TYPE = SettingsType(...)``) and its implementation,
named there by a dotted path; the registry finds it, and the loader, the
unknown-key hints, the JSON Schema and the docs' tables follow from it
(docs/architecture.md, "Extension points").
"""
