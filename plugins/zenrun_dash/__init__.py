"""zenrun_dash: a Dash viewer drawing a run's lineage with dash-cytoscape.

``zenrun --view`` serves it; ``PipelineRunLineageVisualizer().visualize(run)``
is the seed's entry point to the same app. Steps are circles and artifacts
squares, coloured by state; a detail panel shows the clicked node.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PipelineRunLineageVisualizer"]


def __getattr__(name: str) -> Any:
    # Lazy, so that loading the plugin (zenrun --help) does not import dash.
    if name == "PipelineRunLineageVisualizer":
        from zenrun_dash.visualizer import PipelineRunLineageVisualizer

        return PipelineRunLineageVisualizer
    raise AttributeError(name)
