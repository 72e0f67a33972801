"""What a provider declares about itself: `ProviderInfo`, one per provider module.

Each module in `codesteer_cli.models.providers` that serves a `provider:` prefix sets
`PROVIDER = ProviderInfo(...)` next to its model class: the spec form, the packages it
needs, its key and base-URL variables, its default base URL, its aliases and the price
table it is billed from. The registry finds the modules itself, so adding a provider is
adding its module (and its tests). Only the standard library is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderInfo:
    name: str  # the prefix before ':' in a spec
    form: str  # how a spec looks, for help and errors
    description: str
    cls: str  # the ChatModel class (or factory) in the declaring module
    packages: tuple[str, ...] = ()  # import names that must be installed
    pip: str = ""  # what to pip install when they are missing
    key_var: str | None = None  # the API key's variable (environment or ./.env)
    key_required: bool = True
    base_url_var: str | None = None  # the variable that points the client elsewhere
    default_base_url: str | None = None
    aliases: tuple[tuple[str, str], ...] = ()  # (alias, model name after the prefix)
    price_table: str | None = None  # key in pricing.PRICES; None: price unknown
    local: bool = False  # runs in this process: costs 0.0
    order: int = 100  # position in `codesteer models`
    module: str = ""  # the declaring module (set by the registry)
