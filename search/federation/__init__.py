"""Federated search: this catalogue and its partners searched at once (docs/federation.md).

partners.py  the registry (local, FEDERATION_PARTNERS, the admin's Partner rows), allowlist
query.py     FederatedQuery: the PaNOSC filter sent to every partner, and the window
clients.py   one client per partner type (panosc, fedcat, local)
http.py      outbound HTTP: one event loop and httpx client per process, size limits
clean.py     partner answers are untrusted: typed, bounded, never marked safe
breaker.py   a circuit breaker per partner
merge.py     comparable scores, declared order, de-duplication by pid/DOI
service.py   federated_search / federated_count: fan-out, deadline, cache, statuses
views.py     /panosc-api/federated/… (PaNOSC shape) and /api/federation/… (JSON envelope)
"""
