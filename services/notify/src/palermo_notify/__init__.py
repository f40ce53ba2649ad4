"""Palermo notify service."""
