"""Palermo review service."""
