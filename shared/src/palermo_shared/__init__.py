"""Contracts and plumbing shared by the Palermo services.

Nothing here is specific to one service: the event contracts, the bus and
its two transports, the outbox and the inbox, settings, telemetry, error
handling and the reference data of resolution 8/2.
"""
