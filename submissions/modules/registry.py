"""The declared modules, looked up by their ``Submission.module`` value.

The three built-in modules are registered here; a test can add one for the duration of a
``with registered(declaration):`` block, and every consumer (forms, documents, routes, reports,
admin, exports) then serves it from its declaration alone.

The database does not list the modules: ``submissions.module`` is checked to be a well-formed
name (lowercase letters, digits, ``_``), and ``submission_create`` refuses a module that is not
declared here. So a test's module needs no migration, and adding a module is adding a
declaration (docs/MODULES.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from submissions.modules import civil, cleaning, hvac_mep
from submissions.modules.types import ModuleDeclaration

MODULE_NAME_REGEX = r"^[a-z][a-z0-9_]{0,49}$"


class UnknownModuleError(LookupError):
    """No module is declared under this name."""


_REGISTRY: dict[str, ModuleDeclaration] = {}


def register(declaration: ModuleDeclaration) -> None:
    if str(declaration.module) in _REGISTRY:
        raise ValueError(f"module {declaration.module!r} is already declared")
    _REGISTRY[str(declaration.module)] = declaration


def unregister(module: str) -> None:
    _REGISTRY.pop(str(module), None)


@contextlib.contextmanager
def registered(declaration: ModuleDeclaration) -> Iterator[ModuleDeclaration]:
    """Declare ``declaration`` for the duration of the block (tests' fourth modules)."""
    register(declaration)
    try:
        yield declaration
    finally:
        unregister(declaration.module)


def declaration(module: str) -> ModuleDeclaration:
    """The declaration of ``module`` (a ``Module`` or its value); ``UnknownModuleError`` if none."""
    try:
        return _REGISTRY[str(module)]
    except KeyError:
        raise UnknownModuleError(f"no module {module!r} is declared") from None


def declaration_or_none(module: str | None) -> ModuleDeclaration | None:
    return _REGISTRY.get(str(module)) if module else None


def declarations() -> tuple[ModuleDeclaration, ...]:
    """Every declared module, the built-ins first, in registration order."""
    return tuple(_REGISTRY.values())


def is_declared(module: str) -> bool:
    return str(module) in _REGISTRY


def by_url_prefix(prefix: str) -> ModuleDeclaration:
    for candidate in _REGISTRY.values():
        if candidate.url_prefix == prefix:
            return candidate
    raise UnknownModuleError(f"no module is served under /{prefix}/")


def module_choices() -> list[tuple[str, str]]:
    """``Submission.module``'s choices: every declared module (a callable, read when used)."""
    return [(str(item.module), item.name) for item in _REGISTRY.values()]


for _builtin in (hvac_mep.DECLARATION, civil.DECLARATION, cleaning.DECLARATION):
    register(_builtin)
