"""renewer: certificates as code for Azure (ACME DNS-01 into Key Vault)."""

__version__ = "0.1.0"
