"""``renewer doctor``: prove the setup from the machine it runs on, before the first run.

One line per check, ✓ or ✗ with what to do: sign-in (in GitHub Actions the
exact subject and audience the job presents, and which subject form), each
vault (reachable, list allowed, effective RBAC data actions against what the
config needs, soft-delete and purge-protection state, RBAC or access-policy
mode), each DNS zone (found, TXT write/delete allowed, optionally a real write
and removal), each CA (directory reachable, EAB, profiles). Read-only unless
``--write-test``.
"""
