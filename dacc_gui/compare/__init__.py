"""Expected against received: the comparison of a preview with what a receiver got, and its reports."""
