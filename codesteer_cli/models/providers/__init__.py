"""One module per provider; `registry.PROVIDERS` maps spec prefixes to them."""
