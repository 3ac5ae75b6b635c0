"""The validator: definitions compiled into checkers, FHIR JSON rules, bindings, invariants."""
