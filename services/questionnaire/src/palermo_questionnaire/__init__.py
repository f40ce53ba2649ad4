"""Palermo questionnaire service."""
