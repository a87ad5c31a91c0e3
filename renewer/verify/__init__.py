"""``renewer verify``: does each endpoint serve the version the store holds?

probe (I/O: resolve, connect, handshake, read the chain) -> judge (pure:
served facts + stored versions + now -> verdict) -> render (text, Markdown,
JSON). ``run`` ties them together for the CLI and for ``renew``.
"""
