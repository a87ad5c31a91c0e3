"""Files renewer writes into a user's repository (``renewer init``).

Generators are pure (text from a few parameters); writing refuses to overwrite.
"""
