"""The unit registry: the bureau and the units that must report, as a data file (YAML)."""

from disclosure.registry.model import Bureau, Registry, Unit, load_registry

__all__ = ["Bureau", "Registry", "Unit", "load_registry"]
