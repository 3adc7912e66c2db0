"""Analytics reads: live computation, rollup reads, their freshness, and the reports built on them."""
