"""One module per store and DNS provider type: its keys, its settings, how to build them.

Adding a type is adding one module here (a ``TYPE = SettingsType(...)``) and
one line in ``registry.py``; the loader, the unknown-key hints, the factories'
``match`` and the JSON Schema all follow from it.
"""
