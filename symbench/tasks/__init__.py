"""One module per SymBench task; each registers itself with `@register`."""
