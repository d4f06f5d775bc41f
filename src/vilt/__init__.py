"""Vilt: the open connector between learning platforms and live virtual classrooms."""

__version__ = "0.1.0"
