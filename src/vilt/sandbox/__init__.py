"""Simulators of provider APIs, with the shared ``/_sim/`` control API and clock."""
