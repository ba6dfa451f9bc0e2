"""From a pass to a decision: captures, quality, persons and faces, matching, the pipeline, outcomes."""
