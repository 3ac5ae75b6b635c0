"""The pipeline: the way of one input through `validate`, above the checks it runs.

sources (files, directories, Bundles, NDJSON) -> parse -> structure -> invariants -> imaging ->
results. It reads inputs, runs validation's core and the imaging rules on each resource, and gives
Results; nothing below it imports it."""
