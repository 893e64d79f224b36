"""One router module per concern (calendar feeds, reports, inspections)."""
