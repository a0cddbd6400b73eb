"""Reading and writing usage-event exports."""
