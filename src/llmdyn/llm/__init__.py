"""llm layer (see DESIGN)."""
