"""The place: site maps in, walk graph, buildings, cameras and their optics, passes through views."""
