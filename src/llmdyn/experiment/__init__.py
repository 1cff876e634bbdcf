"""experiment layer (see DESIGN)."""
