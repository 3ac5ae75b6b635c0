"""The reference FHIR imaging server (ASGI + SQLite, fault injection) and the validator service.

`server` uses `validation` to reject invalid input and to answer `$validate`; it never uses the
harness's search oracle: its SQL search is an independent implementation.
"""
