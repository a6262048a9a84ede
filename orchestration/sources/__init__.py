"""Readers of export formats: pure Python, no Dagster import, each emitting the canonical shapes."""
