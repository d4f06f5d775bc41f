"""Provider kind → simulator class."""

from __future__ import annotations

from vilt.sandbox.bigbluebutton import BigBlueButtonSimulator
from vilt.sandbox.control import Simulator
from vilt.sandbox.teams import TeamsSimulator
from vilt.sandbox.zoom import ZoomSimulator

SIMULATORS: dict[str, type[Simulator]] = {
    BigBlueButtonSimulator.kind: BigBlueButtonSimulator,
    ZoomSimulator.kind: ZoomSimulator,
    TeamsSimulator.kind: TeamsSimulator,
}
