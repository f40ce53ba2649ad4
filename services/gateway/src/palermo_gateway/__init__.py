"""Palermo gateway service."""
