"""Data policies without writes: licences, who owns a dataset for e-mails, and the reads the
policy pages need. The writes are in catalogue/services/{policies,embargo,access_requests,audit}.py
and the rules in catalogue/access.py; docs/policies.md explains the whole."""
