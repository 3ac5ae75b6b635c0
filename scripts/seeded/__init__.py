"""Hand-authored sources for the definitions of the three FHIR versions no npm package covers.

One module per version (stu3_ballot, r5_snapshot1, r6_ballot2), each transcribing its seed
page(s) in shared/seeds/ element by element, with a citation on every element; ``base`` holds the
non-seeded base content (Resource / DomainResource / BackboneElement elements and the dom-*, ele-1,
ext-1 constraints) copied from the official R4 4.0.1 and R5 5.0.0 packages.
``scripts/build_seeded.py`` turns them into harness/definitions/<version>/ (see FORMAT.md).
"""
