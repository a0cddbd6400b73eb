"""What every layer shares: the one Cancelled exception, atomic file writes, logging."""
