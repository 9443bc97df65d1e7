"""Mandates: a resident's consent to one médiateur's help, recorded by the kiosk channel.

Kept in the core so mediation can list and revoke them without importing a channel;
a revocation goes through `gateway.contributions.decisions.revoke_mandate`.
"""
