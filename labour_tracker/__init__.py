"""Labour Tracker: track labour, tell the people who matter."""
