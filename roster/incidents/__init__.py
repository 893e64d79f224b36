"""Incident information reporting (突发事件信息报送): severity levels, reporting clocks, reports signed off by
the leader on duty and sent through the outbox, alerts when a clock runs out."""
