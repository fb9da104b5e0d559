"""Contracts the simulation itself deploys (not the protocol's, nor the bridge's)."""

from pathlib import Path

SINK_SOURCE = Path(__file__).parent / "DemandSink.vy"
