"""Follow groups per chat and the instant alerts they trigger between digests (issue 15)."""
