"""One declaration per inspection module: what each module is, read by everything else.

``registry`` looks declarations up; ``types`` holds what they are made of; ``hvac_mep``, ``civil``
and ``cleaning`` declare the three modules. docs/MODULES.md says how to read and add one.
(This file imports nothing, so importing a submodule loads no other.)
"""
