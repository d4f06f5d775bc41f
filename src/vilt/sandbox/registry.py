"""Provider kind → simulator class."""

from __future__ import annotations

from vilt.sandbox.bigbluebutton import BigBlueButtonSimulator
from vilt.sandbox.control import Simulator

SIMULATORS: dict[str, type[Simulator]] = {
    BigBlueButtonSimulator.kind: BigBlueButtonSimulator,
}
