"""The fixed keys of the counts cube and of a publication's table.

Defined once, below every layer, so that the cube (:mod:`fragmap.aggregate`), the
writers (:mod:`fragmap.io.exports`) and the :class:`~fragmap.publication.Publication`
type agree without importing each other (:mod:`fragmap.publication` re-exports them).

Examples
--------
>>> TOTAL, NETWORK, UNASSIGNED
('totale', 'rete', 'non_assegnate')
"""

from __future__ import annotations

#: The category of all categories together.
TOTAL = "totale"
#: The partner of all partners together.
ALL_PARTNERS = "tutti"
#: The action of all actions together.
ALL_ACTIONS = "tutte"
#: The area (and level) of the whole network.
NETWORK = "rete"
#: Level (and cube ``quarter_id``) of the reports counted in a town but in none of its areas:
#: placed only to the town, an unknown quartiere, not found, or a point outside every quarter.
UNASSIGNED = "non_assegnate"

__all__ = ["ALL_ACTIONS", "ALL_PARTNERS", "NETWORK", "TOTAL", "UNASSIGNED"]
