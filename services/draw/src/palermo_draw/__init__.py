"""Palermo draw service."""
