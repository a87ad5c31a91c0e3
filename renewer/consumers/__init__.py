"""Azure services that use a certificate from the vault: nudges after renewal, doctor's checks.

What each kind of consumer is (its resource type, its documented pick-up time)
is data in ``renewer.core.consumers``; the config keys are in
``renewer.config.consumers``; ``renewer azure setup``'s wiring is in
``renewer.scaffold.consumer_setup``. This package talks to Azure Resource
Manager (``arm``) to nudge (``nudges``, ``run``) and to check (``checks``),
and renders the nudges for the report (``render``). It sits with the other
adapters, above ``renewer.azure`` whose sign-in it uses.
"""
